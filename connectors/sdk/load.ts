import { ConfigProvider, Effect } from "effect";
import { definedOnly, describeConfigFailure } from "../../config/app-config.ts";
import type { AnyConnectorDefinition, Connector, ConnectorRuntime } from "./contract.ts";

/** A connector whose configuration is complete, ready to call. */
export interface LiveConnector {
  readonly definition: AnyConnectorDefinition;
  readonly config: unknown;
  readonly connector: Connector;
}

/** The connectors this process can use, and those left out with the reason. */
export interface ConnectorSet {
  readonly live: ReadonlyMap<string, LiveConnector>;
  readonly disabled: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
}

/**
 * Configures every registered connector from the environment. A connector whose configuration is
 * missing or wrong is disabled with a message naming the variable; the platform still starts.
 */
export const loadConnectors = (
  definitions: ReadonlyArray<AnyConnectorDefinition>,
  env: Record<string, string | undefined>,
  runtime: ConnectorRuntime,
): ConnectorSet => {
  const provider = ConfigProvider.fromEnv({ env: definedOnly(env) });
  const live = new Map<string, LiveConnector>();
  const disabled: { id: string; reason: string }[] = [];
  for (const definition of definitions) {
    const exit = Effect.runSyncExit(definition.config.parse(provider));
    if (exit._tag === "Failure") {
      disabled.push({ id: definition.id, reason: describeConfigFailure(exit.cause).trim() });
      continue;
    }
    live.set(definition.id, {
      definition,
      config: exit.value,
      connector: definition.make(exit.value, runtime),
    });
  }
  return { live, disabled };
};
