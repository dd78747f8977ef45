// Prebuilds the Temporal workflow bundle, so a worker in production starts without webpack:
// `tsx scripts/build-workflow-bundle.ts [out-file]` (default dist/workflow-bundle.js), then run the
// worker with PAYGOV_WORKFLOW_BUNDLE=<out-file> (workers/temporal-worker.ts loads it as codePath).
// The Dockerfile runs this at build time. Bundling at every start costs seconds and needs webpack
// and swc at run time; a prebuilt bundle also pins exactly which workflow code a release runs.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { bundleWorkflowCode } from "@temporalio/worker";

const ROOT = resolve(import.meta.dirname, "..");
const out = resolve(process.argv[2] ?? resolve(ROOT, "dist", "workflow-bundle.js"));

const { code } = await bundleWorkflowCode({
  workflowsPath: resolve(ROOT, "workflows", "index.ts"),
  // The bundler's info lines are noise in a build log; warnings and errors still show.
  logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
});
await mkdir(dirname(out), { recursive: true });
await writeFile(out, code);
console.log(`Workflow bundle written to ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
