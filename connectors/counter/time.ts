/**
 * The chain's timestamps: `yyyyMMddHHmmss` on Vietnam's clock (GMT+7), whatever the server's zone
 * (DESIGN "Money, time, identifiers"; intermediaries.md §12.3).
 */
import { vietnamDateParts } from "../../domain/vietnam-time.ts";

// Asia/Ho_Chi_Minh has been UTC+7 all year since 1975 (no daylight saving): reading a stamp back with
// a fixed offset is exact, and the round trip through vietnamDateParts below checks it anyway.
const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;

/** `yyyyMMddHHmmss` as a clock in Vietnam shows the instant. */
export const formatCounterTime = (instant: Date): string => {
  const d = vietnamDateParts(instant);
  return `${d.yyyy}${d.MM}${d.dd}${d.HH}${d.mm}${d.ss}`;
};

/** Reads a `yyyyMMddHHmmss` GMT+7 stamp; null unless it names a real calendar second. */
export const parseCounterTime = (text: string): Date | null => {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const instant = new Date(Date.UTC(year, month - 1, day, hour, minute, second) - VIETNAM_OFFSET_MS);
  // Date.UTC rolls 30 February over into March; the round trip refuses every such stamp.
  return formatCounterTime(instant) === text ? instant : null;
};

/** The Vietnam business date (yyyy-MM-dd) of a `yyyyMMdd` query parameter; null unless it is a real day. */
export const businessDateOf = (yyyyMMdd: string): string | null =>
  /^\d{8}$/.test(yyyyMMdd) && parseCounterTime(`${yyyyMMdd}000000`) !== null
    ? `${yyyyMMdd.slice(0, 4)}-${yyyyMMdd.slice(4, 6)}-${yyyyMMdd.slice(6, 8)}`
    : null;
