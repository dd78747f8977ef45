/**
 * What every operator page shares: the bilingual label, the frame with its navigation between the
 * sections.
 */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";

// One language on the page, both in it: Vietnamese first, English in brackets after it (as the legal
// documents allow), never the larger.
export const Label = (props: { vi: string; en: string }) => (
  <>
    {props.vi} <span class="en">({props.en})</span>
  </>
);

// PayGov's brand-red square: without an icon browsers ask for /favicon.ico on every page.
const ICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#b3121b"/></svg>',
)}`;

const SECTIONS = [
  { href: "/ops", vi: "Tổng quan", en: "overview" },
  { href: "/ops/reconciliations", vi: "Đối soát", en: "reconciliation" },
  { href: "/ops/settlements", vi: "Quyết toán", en: "settlement" },
] as const;

export type OpsSection = (typeof SECTIONS)[number]["href"];

/** The frame of an operator page: its section's stylesheet, and links to every section. */
export const Shell = (props: {
  title: string;
  section: OpsSection;
  stylesheet: string;
  refreshSeconds?: number | undefined;
  children: Child;
}) => (
  <>
    {raw("<!DOCTYPE html>")}
    <html lang="vi">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="robots" content="noindex" />
        {props.refreshSeconds ? <meta http-equiv="refresh" content={String(props.refreshSeconds)} /> : null}
        <title>{`${props.title} · PayGov`}</title>
        <link rel="icon" href={ICON} type="image/svg+xml" />
        <link rel="stylesheet" href={props.stylesheet} />
      </head>
      <body>
        <nav class="bar">
          <strong>PayGov — Vận hành</strong>
          {SECTIONS.map((s) => (
            <a href={s.href} class={s.href === props.section ? "current" : undefined}>
              <Label vi={s.vi} en={s.en} />
            </a>
          ))}
        </nav>
        <main>{props.children}</main>
      </body>
    </html>
  </>
);
