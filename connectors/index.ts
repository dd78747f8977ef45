import type { AnyConnectorDefinition } from "./sdk/contract.ts";
import { vnpay } from "./vnpay/index.ts";

/** Every intermediary PayGov can reach. Adding a connector is one line here. */
export const CONNECTORS: ReadonlyArray<AnyConnectorDefinition> = [vnpay];
