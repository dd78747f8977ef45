// npm run conformance [-- <connector> ...]: every conformance scenario against every connector (or the
// ones named) and its simulator, on a Temporal dev server and PostgreSQL of its own, printed as a table
// of scenario × connector. The same scenarios run in `make test` (test/conformance.test.ts).
import { CONFORMANCE_DRIVERS } from "../connectors/conformance.ts";
import { SCENARIOS } from "../connectors/sdk/conformance/scenarios.ts";
import { templateDriver } from "../connectors/template/conformance.ts";
import { startConformance } from "../test/support/conformance-harness.ts";
import { quietTemporalLogs } from "../workers/run.ts";
import { NAMESPACE, startServices } from "./bench/services.ts";
import { onShutdown } from "./lib/processes.ts";

type Cell =
  | { kind: "pass"; ms: number }
  | { kind: "fail"; message: string }
  | { kind: "skip"; reason: string };

// The template is not a real intermediary (not registered), but it must keep passing: authors copy it.
const DRIVERS = [...CONFORMANCE_DRIVERS, templateDriver];

const main = async () => {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  const unknown = wanted.filter((id) => !DRIVERS.some((d) => d.connector === id));
  if (unknown.length > 0) {
    console.error(
      `unknown connector(s): ${unknown.join(", ")}; known: ${DRIVERS.map((d) => d.connector).join(", ")}`,
    );
    process.exit(64);
  }
  const drivers = DRIVERS.filter((d) => wanted.length === 0 || wanted.includes(d.connector));
  quietTemporalLogs();
  const services = await startServices({ temporalAddress: null, durable: false }, (line) =>
    console.error(line),
  );
  onShutdown(services.stop, "services");
  const infra = {
    temporalAddress: services.temporalAddress,
    temporalNamespace: NAMESPACE,
    postgresAdminUrl: services.postgresAdminUrl,
  };

  const results = new Map<string, Map<string, Cell>>();
  for (const driver of drivers) {
    const cells = new Map<string, Cell>();
    results.set(driver.connector, cells);
    console.error(`▶ ${driver.connector}`);
    const { stack, harness } = await startConformance(infra, driver);
    try {
      for (const scenario of SCENARIOS) {
        const reason = scenario.skip(harness);
        if (reason !== null) {
          cells.set(scenario.id, { kind: "skip", reason });
          continue;
        }
        await driver.reset(harness.ctx);
        const started = performance.now();
        try {
          await scenario.run(harness);
          cells.set(scenario.id, { kind: "pass", ms: performance.now() - started });
        } catch (err) {
          cells.set(scenario.id, { kind: "fail", message: err instanceof Error ? err.message : String(err) });
        }
        const cell = cells.get(scenario.id)!;
        console.error(
          `  ${cell.kind === "pass" ? "✔" : "✘"} ${scenario.id}${cell.kind === "fail" ? `: ${cell.message}` : ""}`,
        );
      }
    } finally {
      await stack.stop();
    }
  }

  const width = Math.max(...SCENARIOS.map((s) => s.id.length));
  const header = ["scenario".padEnd(width), ...drivers.map((d) => d.connector.padEnd(10))].join("  ");
  console.log(`\n${header}\n${"-".repeat(header.length)}`);
  for (const scenario of SCENARIOS) {
    const row = drivers.map((d) => {
      const cell = results.get(d.connector)?.get(scenario.id);
      const text = cell?.kind === "pass" ? "pass" : cell?.kind === "fail" ? "FAIL" : "n/a";
      return text.padEnd(10);
    });
    console.log([scenario.id.padEnd(width), ...row].join("  "));
  }
  const failures = [...results.entries()].flatMap(([id, cells]) =>
    [...cells.entries()]
      .filter(([, c]) => c.kind === "fail")
      .map(([s, c]) => `${id} / ${s}: ${(c as { message: string }).message}`),
  );
  console.log(`\nn/a: the scenario does not apply (no query API, no browser return, collection shape, ...).`);
  if (failures.length > 0) {
    console.log(`\n${failures.length} failure(s):\n${failures.map((f) => `  ${f}`).join("\n")}`);
    process.exitCode = 1;
  } else console.log("\nAll applicable scenarios pass.");
  await services.stop();
};

main().catch((err) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
