import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Nothing may download at run time: the machines reach only the package registries, and CI installs
// only what the project's own files install. This guards the ways a download usually sneaks in.
const ROOT = resolve(import.meta.dirname, "..");
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
  .split("\0")
  .filter((f) => /\.(ts|tsx|mjs|js|sh|json)$|(^|\/)Makefile$|^\.ci\//.test(f) && !f.startsWith("db/seed/"));
const read = (file: string) => readFileSync(resolve(ROOT, file), "utf8");
const THIS_FILE = "scripts/no-downloads.test.ts";

/** The code of a file without its comments, so that documentation may name real URLs. */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

describe("nothing downloads at run time", () => {
  it("has no browser, server or binary downloads in scripts, tests or code", () => {
    const forbidden = [
      /playwright(-core)?\s+install/,
      /npx\s+playwright/,
      /puppeteer/,
      /TestWorkflowEnvironment\.createLocal\(\s*\)/,

      /downloadBrowser|@puppeteer\/browsers/,
    ];
    const hits = tracked
      .filter((f) => f !== THIS_FILE)
      .flatMap((f) => forbidden.filter((re) => re.test(code(read(f)))).map((re) => `${f}: ${re}`));
    // A shell step that fetches something; TypeScript fetches only through configured endpoints (below).
    const shell = tracked.filter((f) => /\.sh$|(^|\/)Makefile$|^\.ci\//.test(f));
    hits.push(...shell.filter((f) => /^\s*(curl|wget)\s/m.test(read(f))).map((f) => `${f}: curl/wget`));
    expect(hits).toEqual([]);
  });

  it("points every connector's endpoints and PayGov's own at this machine by default", async () => {
    // Every endpoint is configuration; the defaults are the bundled simulators, so a fresh clone calls
    // nothing outside. Checked on the parsed configuration, the values PayGov would really use.
    const { CONNECTORS } = await import("../connectors/index.ts");
    const { loadConnectors } = await import("../connectors/sdk/load.ts");
    const { loadAppConfig } = await import("../config/app-config.ts");
    const { Effect } = await import("effect");
    const local = /^https?:\/\/(127\.0\.0\.1|localhost)([:/]|$)/;
    const urls = (value: unknown): string[] =>
      value instanceof URL
        ? [value.toString()]
        : typeof value === "string"
          ? /^https?:\/\//.test(value)
            ? [value]
            : []
          : value && typeof value === "object"
            ? Object.values(value).flatMap(urls)
            : [];
    const env = Object.assign({}, ...CONNECTORS.map((d) => d.sandboxCredentials?.() ?? {}));
    const set = loadConnectors(CONNECTORS, env, {
      fetch: globalThis.fetch,
      now: () => new Date(),
      serverIp: "127.0.0.1",
      requestTimeoutMs: 1000,
    });
    expect(set.disabled).toEqual([]);
    const connectorUrls = [...set.live.values()].flatMap((l) =>
      urls(l.config).map((u) => `${l.definition.id}: ${u}`),
    );
    expect(connectorUrls.length).toBeGreaterThan(5);
    expect(connectorUrls.filter((u) => !local.test(u.slice(u.indexOf(": ") + 2)))).toEqual([]);
    const app = Effect.runSync(loadAppConfig({ PAYGOV_SECRET_KEY: "x".repeat(32) }));
    expect([app.publicUrl, app.internalUrl, app.treasury.url].filter((u) => !local.test(u))).toEqual([]);
  });

  it("installs the toolchain only from the registries: npm, the Go module proxy and Debian", () => {
    const installers = tracked.flatMap((f) =>
      [
        ...code(read(f)).matchAll(
          /\b(go install [^\s"'`]+|apt-get[^"'`\n]*install[^"'`\n]*|npm (ci|install)[^"'`\n]*)/g,
        ),
      ].map((m) => `${f}: ${m[0]}`),
    );
    // The Temporal CLI is built from the Go module proxy, pinned; nothing else is fetched by hand.
    const cli = read("scripts/lib/temporal-cli.ts");
    expect(cli).toContain('const MODULE = "github.com/temporalio/cli"');
    expect(cli).toContain('export const TEMPORAL_CLI_VERSION = "1.5.1"');
    expect(cli).toMatch(/"install",/);
    for (const line of installers) expect(line).not.toMatch(/https?:\/\//);
  });
});
