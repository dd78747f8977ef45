import { describe, expect, it } from "vitest";
import { CONNECTORS } from "./index.ts";
import type { ConnectorRuntime } from "./sdk/contract.ts";
import { loadConnectors } from "./sdk/load.ts";

const runtime: ConnectorRuntime = {
  fetch: () => Promise.reject(new Error("no network in this test")),
  now: () => new Date(),
  serverIp: "127.0.0.1",
  requestTimeoutMs: 1000,
};

// `make dev` enables every connector from these values alone (scripts/dev.ts).
describe.each(CONNECTORS.map((d) => [d.id, d] as const))("sandboxCredentials of %s", (id, definition) => {
  it("configures the connector with nothing else set", () => {
    expect(definition.sandboxCredentials, id).toBeTypeOf("function");
    const set = loadConnectors([definition], definition.sandboxCredentials!(), runtime);
    expect(set.disabled).toEqual([]);
    expect([...set.live.keys()]).toEqual([id]);
  });

  it("names only the connector's own variables, and is fresh every time", () => {
    const first = definition.sandboxCredentials!();
    const second = definition.sandboxCredentials!();
    for (const name of Object.keys(first))
      expect(name).toMatch(new RegExp(`^${id.toUpperCase()}_[A-Z0-9_]+$`));
    expect(Object.keys(second)).toEqual(Object.keys(first));
    expect(second).not.toEqual(first);
  });

  it("is what the configuration requires: without any one of them the connector is disabled", () => {
    const all = definition.sandboxCredentials!();
    for (const name of Object.keys(all)) {
      const { [name]: _, ...rest } = all;
      const set = loadConnectors([definition], rest, runtime);
      expect(set.disabled.map((d) => d.reason).join(), name).toContain(name);
    }
  });
});
