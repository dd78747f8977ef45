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
