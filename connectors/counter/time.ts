/**
 * The chain's timestamps: `yyyyMMddHHmmss` on Vietnam's clock (GMT+7), whatever the server's zone
 * (DESIGN "Money, time, identifiers"; intermediaries.md §12.3).
 */
import { parseVietnamCompact } from "../../domain/vietnam-time.ts";

export {
  formatVietnamCompact as formatCounterTime,
  parseVietnamCompact as parseCounterTime,
} from "../../domain/vietnam-time.ts";

/** The Vietnam business date (yyyy-MM-dd) of a `yyyyMMdd` query parameter; null unless it is a real day. */
export const businessDateOf = (yyyyMMdd: string): string | null =>
  /^\d{8}$/.test(yyyyMMdd) && parseVietnamCompact(`${yyyyMMdd}000000`) !== null
    ? `${yyyyMMdd.slice(0, 4)}-${yyyyMMdd.slice(4, 6)}-${yyyyMMdd.slice(6, 8)}`
    : null;
