// `make test`: the same set-up as `make dev` (tools installed if missing), then the type check,
// the linter and the whole vitest suite against a real Temporal dev server, PostgreSQL and Chromium.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { ensureChromium } from "./lib/chromium.ts";
import { ensureDockerCompose } from "./lib/docker-compose.ts";
import { ensureTemporalCli } from "./lib/temporal-cli.ts";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = resolve(ROOT, "node_modules/.bin");

const step = (title: string, command: string, args: string[]) =>
  new Promise<void>((done, fail) => {
    const started = performance.now();
    console.log(`\n▶ ${title}`);
    const child = spawn(resolve(BIN, command), args, { cwd: ROOT, stdio: "inherit" });
    child.on("error", fail);
    child.on("exit", (code, signal) => {
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (code === 0) {
        console.log(`✔ ${title} (${seconds} s)`);
        done();
      } else fail(new Error(`${title} failed (${signal ?? `exit ${code}`}) after ${seconds} s`));
    });
  });

const main = async () => {
  const started = performance.now();
  console.log("▶ Tools: Temporal CLI, Chromium, docker-compose");
  await Promise.all([ensureTemporalCli(), ensureChromium(), ensureDockerCompose()]);
  await step("Type check (tsc)", "tsc", ["--noEmit", "-p", "."]);
  await step("Lint and format check (biome)", "biome", ["check", "."]);
  await step("Tests (vitest: unit, then integration on real Temporal, PostgreSQL and Chromium)", "vitest", [
    "run",
    ...process.argv.slice(2),
  ]);
  console.log(`\nAll checks passed in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
};

main().catch((err) => {
  console.error(`\n✘ ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
