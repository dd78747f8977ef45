import { counterDriver } from "./counter/conformance.ts";
import { momoDriver } from "./momo/conformance.ts";
import { onepayDriver } from "./onepay/conformance.ts";
import type { ConformanceDriver } from "./sdk/conformance/driver.ts";
import { vietqrDriver } from "./vietqr/conformance.ts";
import { vnpayDriver } from "./vnpay/conformance.ts";
import { zalopayDriver } from "./zalopay/conformance.ts";

/** Each registered connector's conformance driver (its folder's conformance.ts). */
export const CONFORMANCE_DRIVERS: ReadonlyArray<ConformanceDriver> = [
  vnpayDriver,
  onepayDriver,
  counterDriver,
  zalopayDriver,
  vietqrDriver,
  momoDriver,
];
