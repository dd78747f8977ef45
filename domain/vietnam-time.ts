/** Business dates, cut-offs and every intermediary timestamp are in Vietnam's zone, whatever the server's. */
export const VIETNAM_TIME_ZONE = "Asia/Ho_Chi_Minh";

const parts = new Intl.DateTimeFormat("en-GB", {
  timeZone: VIETNAM_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** The calendar fields of an instant as a clock in Vietnam shows them. */
export const vietnamDateParts = (
  instant: Date,
): { yyyy: string; yy: string; MM: string; dd: string; HH: string; mm: string; ss: string } => {
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    parts.formatToParts(instant).find((p) => p.type === type)?.value ?? "00";
  const yyyy = get("year");
  return {
    yyyy,
    yy: yyyy.slice(2),
    MM: get("month"),
    dd: get("day"),
    HH: get("hour"),
    mm: get("minute"),
    ss: get("second"),
  };
};

/** The Vietnam business date of an instant, yyyy-MM-dd. */
export const vietnamBusinessDate = (instant: Date): string => {
  const d = vietnamDateParts(instant);
  return `${d.yyyy}-${d.MM}-${d.dd}`;
};

/** ISO-8601 with the explicit `+07:00` offset, e.g. the reconciliation file's timestamps (§11). */
export const formatVietnamIso = (instant: Date): string => {
  const d = vietnamDateParts(instant);
  return `${d.yyyy}-${d.MM}-${d.dd}T${d.HH}:${d.mm}:${d.ss}+07:00`;
};

// Asia/Ho_Chi_Minh has been UTC+7 all year since 1975 (no daylight saving): a wall-clock stamp is read
// back with a fixed offset, exactly, whatever the server's own zone.
const VIETNAM_OFFSET_MS = 7 * 60 * 60 * 1000;

/**
 * Reads the six fields a layout's pattern captures as a Vietnam wall-clock second, and keeps it only
 * if formatting it again gives the same text: Date.UTC rolls 30 February over into March, and the
 * round trip refuses every such stamp.
 */
export const parseVietnamWallClock = (
  text: string,
  pattern: RegExp,
  format: (instant: Date) => string,
): Date | null => {
  const match = pattern.exec(text);
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const instant = new Date(Date.UTC(year, month - 1, day, hour, minute, second) - VIETNAM_OFFSET_MS);
  return format(instant) === text ? instant : null;
};

/** `yyyyMMddHHmmss` as a clock in Vietnam shows the instant: VNPay's and the counter chains' stamps. */
export const formatVietnamCompact = (instant: Date): string => {
  const d = vietnamDateParts(instant);
  return `${d.yyyy}${d.MM}${d.dd}${d.HH}${d.mm}${d.ss}`;
};

/** Reads a `yyyyMMddHHmmss` GMT+7 stamp; null unless it names a real calendar second. */
export const parseVietnamCompact = (text: string): Date | null =>
  parseVietnamWallClock(text, /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/, formatVietnamCompact);

/** Reads `yyyy-MM-ddTHH:mm:ss+07:00`; null for any other zone or an impossible date. */
export const parseVietnamIso = (text: string): Date | null =>
  parseVietnamWallClock(text, /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\+07:00$/, formatVietnamIso);
