import { afterAll, beforeAll, beforeEach, describe, it } from "vitest";
import { CONFORMANCE_DRIVERS } from "../connectors/conformance.ts";
import type { Harness } from "../connectors/sdk/conformance/scenarios.ts";
import { SCENARIOS } from "../connectors/sdk/conformance/scenarios.ts";
import { templateDriver } from "../connectors/template/conformance.ts";
import { startConformance } from "./support/conformance-harness.ts";
import { testInfra } from "./support/infra.ts";
import type { Stack } from "./support/stack.ts";

// The conformance kit: every scenario against every connector and its simulator, over real HTTP,
// on the real Temporal and PostgreSQL. `npm run conformance` prints the same as a table.
// The template's driver joins the registered ones here only (the harness registers it for its stack).
const DRIVERS = [...CONFORMANCE_DRIVERS, templateDriver];
describe.each(DRIVERS.map((d) => [d.connector, d] as const))("conformance: %s", (_id, driver) => {
  let stack: Stack;
  let harness: Harness;

  beforeAll(async () => {
    ({ stack, harness } = await startConformance(testInfra(), driver));
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(async () => {
    await driver.reset(harness.ctx);
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.id}: ${scenario.title}`, async (context) => {
      const reason = scenario.skip(harness);
      if (reason !== null) {
        context.skip(`not applicable: ${reason}`);
        return;
      }
      await scenario.run(harness);
    });
  }
});
