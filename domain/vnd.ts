import type { Locale } from "../connectors/sdk/contract.ts";
import { VIETNAM_TIME_ZONE } from "./vietnam-time.ts";

const vnd = {
  vi: new Intl.NumberFormat("vi-VN", { style: "currency", currency: "VND" }),
  en: new Intl.NumberFormat("en-GB", { style: "currency", currency: "VND", currencyDisplay: "code" }),
};

/** An amount as a citizen reads it: "200.000 ₫" in Vietnamese, "VND 200,000" in English. */
export const formatVnd = (amount: number, locale: Locale): string => vnd[locale].format(amount);

const clock = new Intl.DateTimeFormat("en-GB", {
  timeZone: VIETNAM_TIME_ZONE,
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});
const englishDate = new Intl.DateTimeFormat("en-GB", { timeZone: VIETNAM_TIME_ZONE, dateStyle: "medium" });

/** A date and time on Vietnam's clock: "14:05 ngày 04/12/2026 (GMT+7)", "4 Dec 2026, 14:05 (GMT+7)". */
export const formatVietnamDateTime = (instant: Date, locale: Locale): string => {
  const parts = clock.formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  const time = `${part("hour")}:${part("minute")}`;
  return locale === "vi"
    ? `${time} ngày ${part("day")}/${part("month")}/${part("year")} (GMT+7)`
    : `${englishDate.format(instant)}, ${time} (GMT+7)`;
};
