/**
 * Vietnam business days as reconciliation names them (yyyy-MM-dd). Vietnam keeps UTC+7 all year (no
 * daylight saving since 1975), so a day is plain arithmetic: pure enough for a workflow to use.
 */

const VIETNAM_OFFSET_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;

/** A real calendar day written yyyy-MM-dd. */
export const isCalendarDate = (text: string): boolean => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === text;
};

/** The Vietnam date of an instant, yyyy-MM-dd. */
export const vietnamDay = (instant: Date): string =>
  new Date(instant.getTime() + VIETNAM_OFFSET_MS).toISOString().slice(0, 10);

/** The Vietnam day before the one an instant falls on: what a cut-off after midnight reconciles. */
export const previousVietnamDay = (instant: Date): string => vietnamDay(new Date(instant.getTime() - DAY_MS));
