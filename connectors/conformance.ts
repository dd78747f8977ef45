import type { ConformanceDriver } from "./sdk/conformance/driver.ts";
import { vnpayDriver } from "./vnpay/conformance.ts";

/** Each registered connector's conformance driver (its folder's conformance.ts). */
export const CONFORMANCE_DRIVERS: ReadonlyArray<ConformanceDriver> = [vnpayDriver];
