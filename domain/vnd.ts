import type { Locale } from "../connectors/sdk/contract.ts";
import { VIETNAM_TIME_ZONE } from "./vietnam-time.ts";

const vnd = {
  vi: new Intl.NumberFormat("vi-VN", { style: "currency", currency: "VND" }),
  en: new Intl.NumberFormat("en-GB", { style: "currency", currency: "VND", currencyDisplay: "code" }),
};

/** An amount as a citizen reads it: "200.000 ₫" in Vietnamese, "VND 200,000" in English. */
export const formatVnd = (amount: number, locale: Locale): string => vnd[locale].format(amount);

const dateTime = {
  vi: new Intl.DateTimeFormat("vi-VN", {
    timeZone: VIETNAM_TIME_ZONE,
    dateStyle: "short",
    timeStyle: "short",
  }),
  en: new Intl.DateTimeFormat("en-GB", {
    timeZone: VIETNAM_TIME_ZONE,
    dateStyle: "medium",
    timeStyle: "short",
  }),
};

/** A date and time on Vietnam's clock, for pages. */
export const formatVietnamDateTime = (instant: Date, locale: Locale): string =>
  `${dateTime[locale].format(instant)} (GMT+7)`;
