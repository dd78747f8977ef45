import { readFileSync } from "node:fs";
import { Option, Redacted } from "effect";
import { Hono } from "hono";
import { type OpsWorkload, opsWorkload } from "../../db/ops-workload.ts";
import type { ApiDeps } from "../deps.ts";
import { readOnlyPageHeaders } from "../middleware/read-only-page.ts";
import { opsPageAuth } from "./page-auth.ts";
import { Label, Shell } from "./page-shell.tsx";

const STYLES = readFileSync(new URL("./reconciliation.css", import.meta.url), "utf8");

interface Item {
  readonly count: (w: OpsWorkload) => number;
  readonly vi: string;
  readonly en: string;
  /** Where an operator deals with it: a page, or the ops API route. */
  readonly where: { readonly page: string } | { readonly api: string };
}

const ITEMS: ReadonlyArray<Item> = [
  {
    count: (w) => w.inquiriesEscalated,
    vi: "Tra soát quá hạn xử lý",
    en: "inquiries past their SLA",
    where: { api: "GET /v1/ops/inquiries?status=escalated, POST /v1/ops/inquiries/:id/decision" },
  },
  {
    count: (w) => w.inquiriesOpen,
    vi: "Tra soát đang mở",
    en: "open inquiries",
    where: { api: "GET /v1/ops/inquiries?status=open" },
  },
  {
    count: (w) => w.manualRefundsWaiting,
    vi: "Hoàn tiền chờ cán bộ thực hiện tại trung gian",
    en: "manual refunds to carry out",
    where: { api: "GET /v1/ops/refunds?status=submitted&manual=true, POST /v1/ops/refunds/:id/complete" },
  },
  {
    count: (w) => w.discrepanciesAwaitingOperator,
    vi: "Chênh lệch đối soát chờ xử lý",
    en: "reconciliation discrepancies awaiting an operator",
    where: { page: "/ops/reconciliations" },
  },
  {
    count: (w) => w.rejectedRunsUnredone,
    vi: "Tệp đối soát bị từ chối (7 ngày), chưa chạy lại",
    en: "refused reconciliation files, not yet re-run",
    where: { page: "/ops/reconciliations" },
  },
  {
    count: (w) => w.treasuryMismatches,
    vi: "Giấy báo Có lệch số tiền",
    en: "credit advices for another amount",
    where: { page: "/ops/settlements" },
  },
  {
    count: (w) => w.settlementsUnconfirmed,
    vi: "Lần quyết toán chưa được Kho bạc xác nhận",
    en: "settlement runs not yet confirmed",
    where: { page: "/ops/settlements" },
  },
];

/** What waits for operators, at a glance, with where each is dealt with. */
const OverviewPage = (props: { workload: OpsWorkload }) => (
  <Shell title="Tổng quan vận hành" section="/ops" stylesheet="/ops/assets/overview.css" refreshSeconds={60}>
    <h1>
      <Label vi="Việc chờ cán bộ vận hành" en="What waits for operators" />
    </h1>
    <table data-testid="workload">
      <thead>
        <tr>
          <th class="num">
            <Label vi="Số lượng" en="count" />
          </th>
          <th>
            <Label vi="Việc" en="item" />
          </th>
          <th>
            <Label vi="Xử lý tại" en="dealt with at" />
          </th>
        </tr>
      </thead>
      <tbody>
        {ITEMS.map((item) => {
          const n = item.count(props.workload);
          return (
            <tr data-testid="workload-item">
              <td class={`num${n > 0 ? " warn" : ""}`}>{n}</td>
              <td>
                <Label vi={item.vi} en={item.en} />
              </td>
              <td>
                {"page" in item.where ? (
                  <a href={item.where.page}>{item.where.page}</a>
                ) : (
                  <code>{item.where.api}</code>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
    <p class="hint">
      <Label
        vi="Mỗi khoản thanh toán là một workflow payment-<mã> trong Temporal UI."
        en="every payment is workflow payment-<id> in the Temporal UI"
      />
    </p>
  </Shell>
);

/** GET /ops: the operators' start page, behind the operations key like the others. */
export const opsOverviewPage = (deps: ApiDeps) => {
  const app = new Hono();
  const opsKey = Option.match(deps.config.opsApiKey, { onNone: () => null, onSome: Redacted.value });
  app.get("/assets/overview.css", (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    return c.body(STYLES);
  });
  app.get("/", readOnlyPageHeaders, opsPageAuth(opsKey), async (c) =>
    c.html(<OverviewPage workload={await opsWorkload(deps.sql)} />),
  );
  return app;
};
