import { readFileSync } from "node:fs";
import { Option, Redacted } from "effect";
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import {
  type DiscrepancyRecord,
  findRun,
  listDiscrepancies,
  listRuns,
  type RunRecord,
  type RunTotals,
} from "../../db/reconciliation.ts";
import { isCalendarDate } from "../../domain/business-day.ts";
import { formatVietnamDateTime } from "../../domain/vnd.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { readOnlyPageHeaders } from "../middleware/read-only-page.ts";
import { opsPageAuth } from "./page-auth.ts";
import { Label, Shell as PageShell } from "./page-shell.tsx";
import { resultCsv } from "./reconciliations.ts";

const STYLES = readFileSync(new URL("./reconciliation.css", import.meta.url), "utf8");

const figures = new Intl.NumberFormat("vi-VN");
const money = (amount: number | null) => (amount === null ? "—" : figures.format(amount));
const dmy = (isoDate: string) => isoDate.split("-").reverse().join("/");

const STATUS: Record<RunRecord["status"], { vi: string; en: string }> = {
  running: { vi: "Đang đối soát", en: "running" },
  completed: { vi: "Đã đối soát", en: "completed" },
  rejected: { vi: "Tệp bị từ chối", en: "file rejected" },
};

const TRIGGER: Record<RunRecord["trigger"], { vi: string; en: string }> = {
  schedule: { vi: "Tự động theo lịch", en: "schedule" },
  operator: { vi: "Cán bộ vận hành", en: "operator" },
};

/** The totals' columns, in the order of the API's `totals`. */
const TOTALS: ReadonlyArray<{ key: keyof RunTotals; vi: string; en: string }> = [
  { key: "rows", vi: "Số dòng", en: "rows" },
  { key: "matched", vi: "Khớp", en: "matched" },
  { key: "missing_at_paygov", vi: "Thiếu tại PayGov", en: "missing at PayGov" },
  { key: "missing_at_intermediary", vi: "Thiếu tại trung gian", en: "missing at intermediary" },
  { key: "amount_mismatch", vi: "Lệch số tiền", en: "amount mismatch" },
  { key: "status_mismatch", vi: "Lệch trạng thái", en: "status mismatch" },
  { key: "duplicate", vi: "Trùng lặp", en: "duplicate" },
];

const KIND: Record<DiscrepancyRecord["kind"], { vi: string; en: string }> = {
  MISSING_AT_PAYGOV: { vi: "Thiếu tại PayGov", en: "missing at PayGov" },
  MISSING_AT_INTERMEDIARY: { vi: "Thiếu tại trung gian", en: "missing at intermediary" },
  AMOUNT_MISMATCH: { vi: "Lệch số tiền", en: "amount mismatch" },
  STATUS_MISMATCH: { vi: "Lệch trạng thái", en: "status mismatch" },
  DUPLICATE: { vi: "Trùng lặp", en: "duplicate" },
};

const RESOLUTION: Record<string, { vi: string; en: string }> = {
  payment_confirmed: { vi: "Đã xác nhận thanh toán", en: "payment confirmed" },
  already_confirmed: { vi: "Đã ghi nhận từ trước", en: "already recorded" },
  duplicate_refunded: { vi: "Đã hoàn khoản trùng", en: "duplicate refunded" },
  refunded: { vi: "Đã hoàn tiền", en: "refunded" },
  rejected: { vi: "Không chấp nhận", en: "rejected" },
  intermediary_corrected: { vi: "Trung gian đã điều chỉnh", en: "corrected by the intermediary" },
  settled_outside: { vi: "Đã xử lý ngoài hệ thống", en: "settled outside PayGov" },
  refunded_to_payer: { vi: "Trung gian đã hoàn cho người nộp", en: "refunded to the payer" },
  written_off: { vi: "Ghi nhận chênh lệch", en: "written off" },
};

const Shell = (props: { title: string; refreshSeconds?: number | undefined; children: Child }) => (
  <PageShell {...props} section="/ops/reconciliations" stylesheet="/ops/assets/reconciliation.css" />
);

const runHref = (run: RunRecord) => `/ops/reconciliations/${encodeURIComponent(run.id)}`;

const Totals = (props: { totals: RunTotals | null }) => (
  <>
    {TOTALS.map((t) => {
      const n = props.totals?.[t.key] ?? null;
      return (
        <td class={`num${n !== null && n > 0 && t.key !== "rows" && t.key !== "matched" ? " warn" : ""}`}>
          {money(n)}
        </td>
      );
    })}
  </>
);

/** Every run, newest first, with its totals; filtered by connector and/or day through links. */
const RunListPage = (props: {
  runs: RunRecord[];
  connectors: string[];
  filter: { connector?: string; businessDate?: string };
  cutoff: string;
}) => (
  <Shell title="Đối soát" refreshSeconds={props.runs.some((r) => r.status === "running") ? 5 : undefined}>
    <h1>
      <Label vi="Đối soát với trung gian thanh toán" en="reconciliation with intermediaries" />
    </h1>
    <p class="hint">
      <Label
        vi={`Mỗi trung gian được đối soát tự động lúc ${props.cutoff} (GMT+7) cho ngày hôm trước; cán bộ có thể chạy lại một ngày qua API POST /v1/ops/reconciliations.`}
        en={`each intermediary is reconciled at ${props.cutoff} GMT+7 for the day before; operators re-run a day with POST /v1/ops/reconciliations`}
      />
    </p>
    <p class="filters">
      <a href="/ops/reconciliations" class={props.filter.connector ? "" : "current"}>
        <Label vi="Tất cả" en="all" />
      </a>
      {props.connectors.map((id) => (
        <a
          href={`/ops/reconciliations?connector=${encodeURIComponent(id)}`}
          class={props.filter.connector === id ? "current" : ""}
        >
          {id.toUpperCase()}
        </a>
      ))}
      {props.filter.businessDate ? (
        <span>
          <Label vi={`ngày ${dmy(props.filter.businessDate)}`} en="day" />
        </span>
      ) : null}
    </p>
    {props.runs.length === 0 ? (
      <p>
        <Label vi="Chưa có lần đối soát nào." en="no runs yet" />
      </p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>
              <Label vi="Ngày giao dịch" en="business day" />
            </th>
            <th>
              <Label vi="Trung gian" en="intermediary" />
            </th>
            <th>
              <Label vi="Trạng thái" en="status" />
            </th>
            {TOTALS.map((t) => (
              <th class="num">
                <Label vi={t.vi} en={t.en} />
              </th>
            ))}
            <th>
              <Label vi="Bắt đầu" en="started" />
            </th>
            <th>CSV</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((run) => (
            <tr>
              <td>
                <a href={runHref(run)}>{dmy(run.businessDate)}</a>
              </td>
              <td>{run.connector.toUpperCase()}</td>
              <td class={`status ${run.status}`}>
                <Label vi={STATUS[run.status].vi} en={STATUS[run.status].en} />
              </td>
              <Totals totals={run.totals} />
              <td>
                {formatVietnamDateTime(run.createdAt, "vi")}
                <br />
                <span class="en">{TRIGGER[run.trigger].vi}</span>
              </td>
              <td>
                {run.status === "completed" ? <a href={`${runHref(run)}/result.csv`}>result.csv</a> : "—"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Shell>
);

/** Who deals with a discrepancy, and where it stands. */
const Handling = (props: { d: DiscrepancyRecord }) => {
  const { d } = props;
  const resolution =
    d.resolution === null ? null : (RESOLUTION[d.resolution] ?? { vi: d.resolution, en: d.resolution });
  const outcome =
    resolution === null ? null : (
      <>
        <strong>
          <Label vi={resolution.vi} en={resolution.en} />
        </strong>
        {d.resolvedBy !== null && d.resolvedBy !== "paygov" ? (
          <>
            <br />
            {d.resolvedBy}: {d.resolutionNote}
          </>
        ) : null}
      </>
    );
  if (d.inquiryId === null) {
    return (
      outcome ?? (
        <span class="awaiting">
          <Label vi="Chờ cán bộ vận hành xử lý" en="waiting for an operator" />
        </span>
      )
    );
  }
  return (
    <>
      <Label vi="Tra soát" en="inquiry" /> <code>{d.inquiryId}</code>
      <br />
      {outcome ?? <Label vi="Đang hỏi trung gian" en="asking the intermediary" />}
    </>
  );
};

/** One run: what the file held, what matched, and every discrepancy with its handling. */
const RunPage = (props: { run: RunRecord; discrepancies: DiscrepancyRecord[] }) => {
  const { run } = props;
  return (
    <Shell
      title={`Đối soát ${run.connector.toUpperCase()} ${dmy(run.businessDate)}`}
      refreshSeconds={run.status === "running" ? 5 : undefined}
    >
      <h1>
        <Label
          vi={`Đối soát ${run.connector.toUpperCase()} ngày ${dmy(run.businessDate)}`}
          en={`${run.connector.toUpperCase()}, ${run.businessDate}`}
        />
      </h1>
      <dl class="facts">
        <dt>
          <Label vi="Trạng thái" en="status" />
        </dt>
        <dd class={`status ${run.status}`}>
          <Label vi={STATUS[run.status].vi} en={STATUS[run.status].en} />
        </dd>
        {run.status === "completed" ? (
          <>
            <dt>
              <Label vi="Chênh lệch chưa xử lý" en="open discrepancies" />
            </dt>
            <dd>
              <Label
                vi={`${run.open.operator} chờ cán bộ vận hành, ${run.open.inquiry} đang tra soát`}
                en={`${run.open.operator} awaiting an operator, ${run.open.inquiry} in inquiry`}
              />
            </dd>
          </>
        ) : null}
        <dt>
          <Label vi="Khởi chạy" en="trigger" />
        </dt>
        <dd>
          <Label vi={TRIGGER[run.trigger].vi} en={TRIGGER[run.trigger].en} />,{" "}
          {formatVietnamDateTime(run.createdAt, "vi")}
        </dd>
        <dt>
          <Label vi="Mã lần đối soát" en="run id" />
        </dt>
        <dd>
          <code>{run.id}</code>
        </dd>
        {run.merchantId ? (
          <>
            <dt>
              <Label vi="Mã đơn vị tại trung gian" en="merchant id" />
            </dt>
            <dd>
              <code>{run.merchantId}</code>
            </dd>
          </>
        ) : null}
        {run.fileSha256 ? (
          <>
            <dt>SHA-256</dt>
            <dd>
              <code>{run.fileSha256}</code>
            </dd>
          </>
        ) : null}
        {run.sameAs ? (
          <>
            <dt>
              <Label vi="Cùng tệp với" en="same file as" />
            </dt>
            <dd>
              <a href={`/ops/reconciliations/${encodeURIComponent(run.sameAs)}`}>{run.sameAs}</a>{" "}
              <span class="en">
                <Label
                  vi="tệp không đổi: giữ nguyên kết quả lần trước, không ghi gì thêm"
                  en="unchanged file: that run's result stands, nothing written again"
                />
              </span>
            </dd>
          </>
        ) : null}
      </dl>
      {run.rejection ? (
        <p class="rejection">
          <strong>
            {run.rejection.line === 0 ? (
              <Label vi="Không lấy được tệp" en="the file could not be had" />
            ) : (
              <Label
                vi={`Tệp bị từ chối tại dòng ${run.rejection.line}`}
                en={`rejected at line ${run.rejection.line}`}
              />
            )}
          </strong>
          : {run.rejection.reason}. <Label vi="Không dòng nào được nhập." en="nothing was imported" />
        </p>
      ) : null}
      {run.status === "rejected" ? null : (
        <table>
          <thead>
            <tr>
              {TOTALS.map((t) => (
                <th class="num">
                  <Label vi={t.vi} en={t.en} />
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <Totals totals={run.totals} />
            </tr>
          </tbody>
        </table>
      )}
      {run.status === "completed" ? (
        <p>
          <a class="button" href={`${runHref(run)}/result.csv`}>
            <Label vi="Tải tệp kết quả đối soát (CSV)" en="download the result file" />
          </a>
        </p>
      ) : null}
      {run.status === "rejected" ? null : (
        <h2>
          <Label vi="Chênh lệch" en="discrepancies" />
        </h2>
      )}
      {run.status === "rejected" ? null : props.discrepancies.length === 0 ? (
        <p>
          <Label vi="Không có chênh lệch." en="none" />
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>
                <Label vi="Loại" en="kind" />
              </th>
              <th class="num">
                <Label vi="Dòng" en="line" />
              </th>
              <th>
                <Label vi="Mã tham chiếu / mã GD trung gian" en="merchant ref / provider txn" />
              </th>
              <th>
                <Label vi="Khoản thanh toán" en="payment" />
              </th>
              <th class="num">
                <Label vi="Số tiền PayGov" en="PayGov amount" />
              </th>
              <th class="num">
                <Label vi="Số tiền trung gian" en="intermediary amount" />
              </th>
              <th>
                <Label vi="Xử lý" en="handling" />
              </th>
            </tr>
          </thead>
          <tbody>
            {props.discrepancies.map((d) => (
              <tr>
                <td>
                  <Label vi={KIND[d.kind].vi} en={d.kind} />
                </td>
                <td class="num">{d.line ?? "—"}</td>
                <td>
                  <code>{d.merchantRef || "—"}</code>
                  <br />
                  <code>{d.providerTxnId || "—"}</code>
                </td>
                <td>{d.paymentId ? <code>{d.paymentId}</code> : "—"}</td>
                <td class="num">{money(d.amountPaygov)}</td>
                <td class="num">{money(d.amountIntermediary)}</td>
                <td>
                  <Handling d={d} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Shell>
  );
};

/** The operators' reconciliation pages, /ops/reconciliations[/:id[/result.csv]], behind the operations key. */
export const opsReconciliationPages = (deps: ApiDeps) => {
  const app = new Hono();
  const opsKey = Option.match(deps.config.opsApiKey, { onNone: () => null, onSome: Redacted.value });
  const { hour, minute } = deps.config.reconciliation.cutoff;
  const cutoff = `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
  const connectors = [...deps.connectors.live.values()]
    .filter((l) => l.definition.capabilities.reconciliationFile)
    .map((l) => l.definition.id);

  for (const path of ["/reconciliations", "/reconciliations/*"])
    app.use(path, readOnlyPageHeaders, opsPageAuth(opsKey));

  app.get("/assets/reconciliation.css", (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    return c.body(STYLES);
  });

  app.get("/reconciliations", async (c) => {
    const connector = c.req.query("connector") || undefined;
    const day = c.req.query("business_date");
    const businessDate = day && isCalendarDate(day) ? day : undefined;
    const runs = await listRuns(deps.sql, {
      ...(connector ? { connector } : {}),
      ...(businessDate ? { businessDate } : {}),
    });
    return c.html(
      <RunListPage
        runs={runs}
        connectors={connectors}
        filter={{ ...(connector ? { connector } : {}), ...(businessDate ? { businessDate } : {}) }}
        cutoff={cutoff}
      />,
    );
  });

  const notFound = () => (
    <Shell title="Không tìm thấy">
      <p>
        <Label vi="Không có lần đối soát này." en="no such run" />
      </p>
    </Shell>
  );

  app.get("/reconciliations/:runId", async (c) => {
    const run = await findRun(deps.sql, c.req.param("runId"));
    if (run === null) return c.html(notFound(), 404);
    return c.html(<RunPage run={run} discrepancies={await listDiscrepancies(deps.sql, run)} />);
  });

  app.get("/reconciliations/:runId/result.csv", async (c) => {
    const run = await findRun(deps.sql, c.req.param("runId"));
    if (run === null) return c.html(notFound(), 404);
    try {
      return resultCsv(c, deps, run);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return c.html(
        <Shell title="Chưa có tệp kết quả">
          <p>
            <Label vi="Lần đối soát này chưa có tệp kết quả." en={error.message} />
          </p>
        </Shell>,
        409,
      );
    }
  });

  return app;
};
