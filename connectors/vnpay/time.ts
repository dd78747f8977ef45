/**
 * Vietnam time for VNPay's wire formats. Asia/Ho_Chi_Minh has been UTC+7 all year since 1975 (no
 * daylight saving), so a fixed offset is exact and never depends on the server's own TZ (§1.9).
 */
const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;

const pad = (value: number, width = 2): string => String(value).padStart(width, "0");

/** The instant's wall-clock fields in Vietnam, read through UTC getters so the process TZ never leaks in. */
const vietnamFields = (instant: Date) => {
  const shifted = new Date(instant.getTime() + VIETNAM_OFFSET_MS);
  return {
    year: pad(shifted.getUTCFullYear(), 4),
    month: pad(shifted.getUTCMonth() + 1),
    day: pad(shifted.getUTCDate()),
    hour: pad(shifted.getUTCHours()),
    minute: pad(shifted.getUTCMinutes()),
    second: pad(shifted.getUTCSeconds()),
  };
};

/** `yyyyMMddHHmmss` in GMT+7: vnp_CreateDate, vnp_ExpireDate, vnp_PayDate, vnp_TransactionDate. */
export const formatVnpayDate = (instant: Date): string => {
  const f = vietnamFields(instant);
  return `${f.year}${f.month}${f.day}${f.hour}${f.minute}${f.second}`;
};

/** Reads a `yyyyMMddHHmmss` GMT+7 stamp; null unless it names a real calendar second. */
export const parseVnpayDate = (text: string): Date | null => {
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
  // Date.UTC rolls 30 February over into March; a round trip rejects every such stamp.
  return formatVnpayDate(instant) === text ? instant : null;
};
