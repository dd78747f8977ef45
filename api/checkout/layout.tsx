import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { Locale } from "../../connectors/sdk/contract.ts";
import { MESSAGES } from "./messages.ts";

// A brand-red square: browsers ask for /favicon.ico (a 404 on every page) unless the page names an icon.
const ICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#b3121b"/></svg>',
)}`;

/** The page shell every citizen page shares: language switch, no scripts, one stylesheet. */
export const Layout = (props: {
  locale: Locale;
  title: string;
  /** The same page in the other language. */
  otherLanguageHref: string;
  /** Seconds after which the page reloads itself (a payment still being processed). */
  refreshSeconds?: number;
  children: Child;
}) => {
  const m = MESSAGES[props.locale];
  // The doctype keeps browsers in standards mode; without it they render the page in quirks mode.
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang={props.locale}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          {props.refreshSeconds ? <meta http-equiv="refresh" content={String(props.refreshSeconds)} /> : null}
          <title>{`${props.title} · PayGov`}</title>
          <link rel="icon" href={ICON} type="image/svg+xml" />
          <link rel="stylesheet" href="/assets/paygov.css" />
        </head>
        <body>
          <header>
            <strong>{m.platform}</strong>
            <a href={props.otherLanguageHref} hreflang={props.locale === "vi" ? "en" : "vi"}>
              {m.other}
            </a>
          </header>
          <main>{props.children}</main>
          <footer>PayGov</footer>
        </body>
      </html>
    </>
  );
};
