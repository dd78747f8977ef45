// Checks docker-compose.yml and .env.example the way this machine can: no Docker engine runs here,
// so `docker-compose config` validates the file and resolves it against an env file, and the tests
// read the resolved services. Debian's docker-compose is 1.29, which prints YAML only (no
// --format); v2 prints JSON. Both are handled, and normalised where their shapes differ (ports,
// depends_on).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTORS } from "../connectors/index.ts";
import { findExecutable } from "../scripts/lib/processes.ts";
import { PAYGOV_SEARCH_ATTRIBUTES } from "../scripts/lib/temporal-server.ts";

const ROOT = resolve(import.meta.dirname, "..");
const COMPOSE_FILE = join(ROOT, "docker-compose.yml");
const EXAMPLE_ENV = join(ROOT, ".env.example");

const PAYGOV_ROLES = ["api", "worker", "jobs", "sandbox"] as const;
/**
 * Every registered connector's credentials: the variables its configuration requires, as its
 * sandboxCredentials() names them (connectors/sandbox-credentials.test.ts checks that they are).
 */
const CONNECTOR_CREDENTIALS = CONNECTORS.flatMap((d) => Object.keys(d.sandboxCredentials?.() ?? {}));
/** Every secret and credential, and what docker-compose.yml must refuse to run without. */
const SECRETS: ReadonlyArray<string> = [
  "PAYGOV_SECRET_KEY",
  "PAYGOV_SANDBOX_API_KEY",
  "PAYGOV_SANDBOX_WEBHOOK_SECRET",
  "PAYGOV_OPS_API_KEY",
  ...CONNECTOR_CREDENTIALS,
  "POSTGRES_PASSWORD",
  "PAYGOV_DB_PASSWORD",
  "TEMPORAL_DB_PASSWORD",
];
/** The variables one connector reads: the quoted upper-case names in its config.ts. */
const connectorVariables = async (id: string): Promise<string[]> => {
  const text = await readFile(join(ROOT, "connectors", id, "config.ts"), "utf8");
  return [...text.matchAll(/"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"/g)]
    .map((m) => m[1]!)
    .filter((name) => name.startsWith(`${id.toUpperCase()}_`));
};

interface Port {
  readonly hostIp: string | undefined;
  readonly published: number;
  readonly target: number;
}
interface Service {
  readonly image?: string;
  readonly build?: { context: string } | string;
  readonly command?: string[];
  readonly environment: Record<string, string>;
  readonly ports: Port[];
  readonly dependsOn: Record<string, string>;
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with input on stdin; never rejects, so failures can be asserted on. */
const run = (file: string, args: string[], input = "", env?: NodeJS.ProcessEnv): Promise<Run> =>
  new Promise((done) => {
    const child = execFile(
      file,
      args,
      { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });

/** docker-compose, or a failure that says how to get it (never a silent skip). */
const dockerCompose = (): string => {
  const found = findExecutable("docker-compose");
  if (!found) {
    throw new Error(
      "docker-compose is missing, and these tests validate docker-compose.yml with it: install it " +
        "(`apt-get install -y docker-compose`; `npm test` installs it through scripts/lib/docker-compose.ts)",
    );
  }
  return found;
};

let bin = "";

/**
 * `docker-compose config` with only PATH and HOME from our environment: a variable set in the shell
 * would override the env file and make the result depend on who runs the test.
 */
const compose = (envFile: string, args: string[]): Promise<Run> =>
  run(bin, ["-f", COMPOSE_FILE, "--env-file", envFile, ...args], "", {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
  });

/** YAML → JSON with docker-compose 1.x's own Python, which always has PyYAML (it parses with it). */
const yamlToJson = async (yaml: string): Promise<unknown> => {
  const head = readFileSync(bin).subarray(0, 200).toString("latin1");
  const shebang = /^#!\s*(\S+)/.exec(head)?.[1] ?? "python3";
  const py = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)";
  const converted = await run(shebang, ["-c", py], yaml);
  if (converted.code !== 0) throw new Error(`could not read docker-compose's YAML: ${converted.stderr}`);
  return JSON.parse(converted.stdout);
};

type RawService = Record<string, unknown> & {
  ports?: (string | { host_ip?: string; published: string | number; target: number })[];
  depends_on?: string[] | Record<string, { condition: string }>;
  environment?: Record<string, string | null>;
};

const normalise = (raw: RawService): Service => ({
  image: raw.image as string | undefined,
  build: raw.build as Service["build"],
  command: raw.command as string[] | undefined,
  environment: Object.fromEntries(Object.entries(raw.environment ?? {}).map(([k, v]) => [k, v ?? ""])),
  // 1.x prints "127.0.0.1:3000:3000/tcp"; v2 prints {host_ip, published, target}.
  ports: (raw.ports ?? []).map((p) => {
    if (typeof p !== "string") return { hostIp: p.host_ip, published: Number(p.published), target: p.target };
    const m = /^(?:(?<ip>[\d.]+):)?(?:(?<published>\d+):)?(?<target>\d+)(?:\/\w+)?$/.exec(p);
    if (!m?.groups) throw new Error(`unexpected port syntax: ${p}`);
    return { hostIp: m.groups.ip, published: Number(m.groups.published), target: Number(m.groups.target) };
  }),
  dependsOn: Array.isArray(raw.depends_on)
    ? Object.fromEntries(raw.depends_on.map((name) => [name, "service_started"]))
    : Object.fromEntries(Object.entries(raw.depends_on ?? {}).map(([name, d]) => [name, d.condition])),
});

/**
 * The services as docker-compose resolves them with an env file: v2 prints JSON when asked, 1.x has
 * no --format and prints YAML.
 */
const resolveServices = async (envFile: string): Promise<Record<string, Service>> => {
  let parsed: { services: Record<string, RawService> };
  const json = await compose(envFile, ["config", "--format", "json"]);
  // 1.x answers an unknown option with its usage, on stderr, and exit code 0.
  if (json.code === 0 && json.stdout.trimStart().startsWith("{")) parsed = JSON.parse(json.stdout);
  else {
    const yaml = await compose(envFile, ["config"]);
    if (yaml.code !== 0) throw new Error(`docker-compose config failed:\n${yaml.stderr}`);
    parsed = (await yamlToJson(yaml.stdout)) as typeof parsed;
  }
  return Object.fromEntries(Object.entries(parsed.services).map(([name, raw]) => [name, normalise(raw)]));
};

/** KEY=value lines of an env file, in order. */
const envLines = (text: string): [string, string][] =>
  text
    .split("\n")
    .filter((line) => /^[A-Z][A-Z0-9_]*=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]);

let services: Record<string, Service>;
let exampleText = "";
let scratch = "";

beforeAll(async () => {
  bin = dockerCompose();
  exampleText = await readFile(EXAMPLE_ENV, "utf8");
  scratch = await mkdtemp(join(tmpdir(), "paygov-compose-"));
  services = await resolveServices(EXAMPLE_ENV);
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("docker-compose.yml", () => {
  it("is valid with .env.example (docker-compose config -q)", async () => {
    const result = await compose(EXAMPLE_ENV, ["config", "-q"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });

  it("has PostgreSQL, Temporal (schema, server, setup, UI) and PayGov's four roles", () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        "postgres",
        "db-init",
        "temporal-schema",
        "temporal",
        "temporal-setup",
        "temporal-ui",
        ...PAYGOV_ROLES,
      ].sort(),
    );
    // Pinned versions: no image floats on "latest".
    for (const [name, service] of Object.entries(services)) {
      if (PAYGOV_ROLES.includes(name as never)) continue;
      expect(service.image, name).toMatch(/:\d+(\.\d+)+(-\w+)?$/);
    }
  });

  it("runs every PayGov role from the one image built here, the role as its command", () => {
    for (const role of PAYGOV_ROLES) {
      const service = services[role]!;
      const context = typeof service.build === "string" ? service.build : service.build?.context;
      expect(context, role).toBe(ROOT);
      expect(service.image, role).toBe(services.api!.image);
      expect(service.command, role).toEqual([role]);
    }
  });

  it("publishes ports on 127.0.0.1 only: api 3000, sandbox 3001, Temporal UI 8233 → 8080", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const port of service.ports) expect(port.hostIp, `${name} ${port.published}`).toBe("127.0.0.1");
    }
    expect(services.api!.ports).toContainEqual({ hostIp: "127.0.0.1", published: 3000, target: 3000 });
    expect(services.sandbox!.ports).toContainEqual({ hostIp: "127.0.0.1", published: 3001, target: 3001 });
    expect(services["temporal-ui"]!.ports).toEqual([{ hostIp: "127.0.0.1", published: 8233, target: 8080 }]);
    for (const role of ["worker", "jobs"]) expect(services[role]!.ports, role).toEqual([]);
    expect(services.postgres!.ports).toEqual([]);
  });

  it("gives the worker the workflow bundle that the Dockerfile builds", async () => {
    const bundle = services.worker!.environment.PAYGOV_WORKFLOW_BUNDLE;
    expect(bundle).toBe("/app/dist/workflow-bundle.js");
    const dockerfile = await readFile(join(ROOT, "Dockerfile"), "utf8");
    expect(dockerfile).toContain("WORKDIR /app");
    expect(dockerfile).toContain("scripts/build-workflow-bundle.ts dist/workflow-bundle.js");
    expect(dockerfile).toContain(`PAYGOV_WORKFLOW_BUNDLE=${bundle}`);
    expect(dockerfile).toMatch(/^USER (?!root)\w+/m);
  });

  it("starts PayGov after PostgreSQL is ready, and the api and worker after Temporal is", () => {
    for (const role of PAYGOV_ROLES) {
      expect(services[role]!.dependsOn, role).toMatchObject({
        postgres: "service_healthy",
        "db-init": "service_completed_successfully",
      });
    }
    for (const role of ["api", "worker"]) {
      expect(services[role]!.dependsOn, role).toMatchObject({
        temporal: "service_healthy",
        "temporal-setup": "service_completed_successfully",
      });
    }
    expect(services.temporal!.dependsOn).toEqual({ "temporal-schema": "service_completed_successfully" });
    expect(services["temporal-schema"]!.dependsOn).toEqual({ "db-init": "service_completed_successfully" });
  });

  it("registers PayGov's search attributes, as Keyword, in PayGov's namespace", () => {
    const setup = services["temporal-setup"]!;
    const script = setup.command!.join("\n");
    for (const [name, kind] of Object.entries(PAYGOV_SEARCH_ATTRIBUTES)) {
      expect(kind).toBe("Keyword");
      expect(script).toMatch(new RegExp(`for name in [^;\\n]*\\b${name}\\b`));
    }
    expect(script).toContain("--type Keyword");
    expect(setup.environment.TEMPORAL_NAMESPACE).toBe(services.worker!.environment.TEMPORAL_NAMESPACE);
  });

  it("sends the browser to published ports and servers to service names", async () => {
    const env = services.worker!.environment;
    const url = (name: string) => new URL(env[name]!);
    // What the citizen's browser opens: the host's published ports.
    expect(url("PAYGOV_PUBLIC_URL").origin).toBe("http://127.0.0.1:3000");
    expect(url("VNPAY_PAYMENT_URL").origin).toBe("http://127.0.0.1:3001");
    expect(url("ONEPAY_PAYMENT_URL").origin).toBe("http://127.0.0.1:3001");
    // Server to server, inside the compose network: service name and container port.
    expect(url("PAYGOV_INTERNAL_URL").origin).toBe("http://api:3000");
    expect(url("VNPAY_API_URL").origin).toBe("http://sandbox:3001");
    expect(url("VNPAY_RECON_URL").origin).toBe("http://sandbox:3001");
    expect(url("PAYGOV_SANDBOX_WEBHOOK_URL").origin).toBe("http://sandbox:3001");
    // Every connector's every endpoint, at its own simulator: a payment page (<ID>_PAYMENT_URL) is
    // opened by the browser, every other URL is called by the worker.
    for (const { id } of CONNECTORS) {
      const urls = (await connectorVariables(id)).filter((name) => name.endsWith("_URL"));
      expect(urls.length, id).toBeGreaterThan(0);
      for (const name of urls) {
        expect(env[name], name).toBeTruthy();
        expect(url(name).origin, name).toBe(
          name.endsWith("_PAYMENT_URL") ? "http://127.0.0.1:3001" : "http://sandbox:3001",
        );
        expect(url(name).pathname, name).toMatch(new RegExp(`^/${id}(/|$)`));
      }
    }
    expect(new URL(env.DATABASE_URL!).host).toBe("postgres:5432");
    expect(env.TEMPORAL_ADDRESS).toBe("temporal:7233");
    // All four roles see the same configuration.
    for (const role of PAYGOV_ROLES) {
      const { PAYGOV_WORKFLOW_BUNDLE: _, ...rest } = services[role]!.environment;
      const { PAYGOV_WORKFLOW_BUNDLE: __, ...expected } = env;
      expect(rest, role).toEqual(expected);
    }
  });

  it("takes every secret from the env file, and refuses to start without one", async () => {
    expect(CONNECTOR_CREDENTIALS).toEqual(expect.arrayContaining(["VNPAY_HASH_SECRET", "ONEPAY_HASH_KEY"]));
    const example = envLines(exampleText);
    const sentinel = (name: string) => `sentinel-${name.toLowerCase().replaceAll("_", "-")}`;
    const withSentinels = example.map(([k, v]) => `${k}=${SECRETS.includes(k) ? sentinel(k) : v}`).join("\n");
    const sentinelFile = join(scratch, "sentinels.env");
    await writeFile(sentinelFile, withSentinels);
    const resolved = JSON.stringify(await resolveServices(sentinelFile));
    const raw = await readFile(COMPOSE_FILE, "utf8");
    for (const name of SECRETS) {
      expect(
        example.map(([k]) => k),
        `${name} in .env.example`,
      ).toContain(name);
      expect(resolved, `${name} reaches the services`).toContain(sentinel(name));
      // Not hard-coded: no literal value and no fallback default in the compose file.
      expect(raw, name).not.toContain(example.find(([k]) => k === name)![1]);
      expect(raw, name).not.toMatch(new RegExp(`\\$\\{${name}:?-`));
    }
    const missing = await Promise.all(
      SECRETS.map(async (name) => {
        const file = join(scratch, `without-${name}.env`);
        await writeFile(
          file,
          example
            .filter(([k]) => k !== name)
            .map((l) => l.join("="))
            .join("\n"),
        );
        return [name, await compose(file, ["config", "-q"])] as const;
      }),
    );
    for (const [name, result] of missing) {
      expect(result.code, `config without ${name}`).not.toBe(0);
      expect(result.stderr, `config without ${name}`).toContain(`set ${name} in .env`);
    }
  });
});

describe(".env.example", () => {
  it("names every variable docker-compose.yml and PayGov read", async () => {
    const raw = await readFile(COMPOSE_FILE, "utf8");
    const code = raw.replace(/^\s*#.*$/gm, ""); // not the ${VAR:?...} that the comments show
    const fromCompose = [...code.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!);
    // PayGov's own: config/app-config.ts, every registered connector's config.ts (a folder not in
    // connectors/index.ts is not read), and what workers/ read directly.
    const fromPaygov: string[] = [];
    const app = await readFile(join(ROOT, "config/app-config.ts"), "utf8");
    fromPaygov.push(...[...app.matchAll(/"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|PORT)"/g)].map((m) => m[1]!));
    for (const { id } of CONNECTORS) fromPaygov.push(...(await connectorVariables(id)));
    const workers = (await readdir(join(ROOT, "workers"))).filter((f) => /(?<!\.test)\.tsx?$/.test(f));
    for (const source of workers) {
      const text = await readFile(join(ROOT, "workers", source), "utf8");
      fromPaygov.push(...[...text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
    }
    expect(fromPaygov).toContain("DATABASE_URL");
    expect(fromPaygov).toContain("PAYGOV_CONNECTOR_TIMEOUT");
    for (const { id } of CONNECTORS) expect(fromPaygov.join(), id).toContain(`${id.toUpperCase()}_RECON_URL`);
    for (const name of new Set([...fromCompose, ...fromPaygov])) {
      expect(exampleText, name).toMatch(new RegExp(`(^|[\\s#])${name}\\b`, "m"));
    }
  });

  it("has a comment above every variable", () => {
    const lines = exampleText.split("\n");
    lines.forEach((line, i) => {
      if (/^[A-Z][A-Z0-9_]*=/.test(line)) expect(lines[i - 1], line).toMatch(/^#/);
    });
  });
});
