import { counter } from "./counter/index.ts";
import { momo } from "./momo/index.ts";
import { onepay } from "./onepay/index.ts";
import type { AnyConnectorDefinition } from "./sdk/contract.ts";
import { vietqr } from "./vietqr/index.ts";
import { vnpay } from "./vnpay/index.ts";
import { zalopay } from "./zalopay/index.ts";

/** Every intermediary PayGov can reach. Adding a connector is one line here. */
export const CONNECTORS: ReadonlyArray<AnyConnectorDefinition> = [
  vnpay,
  onepay,
  counter,
  zalopay,
  vietqr,
  momo,
];
