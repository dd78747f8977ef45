import { readFileSync } from "node:fs";
import { Option, Redacted } from "effect";
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import type { TreasuryDocument } from "../../connectors/treasury/protocol.ts";
import {
  findSettlement,
  listDocuments,
  listSettlements,
  type SettlementRecord,
  type TreasuryDocumentRecord,
  type TreasuryResolution,
} from "../../db/settlement.ts";
import type { Statement } from "../../domain/settlement.ts";
import { formatVietnamDateTime } from "../../domain/vnd.ts";
import type { ApiDeps } from "../deps.ts";
import { readOnlyPageHeaders } from "../middleware/read-only-page.ts";
import { opsPageAuth } from "./page-auth.ts";
import { Label, Shell as PageShell } from "./page-shell.tsx";
import { statementCsvResponse } from "./settlements.ts";

const STYLES = readFileSync(new URL("./settlement.css", import.meta.url), "utf8");

const figures = new Intl.NumberFormat("vi-VN");
const money = (amount: number | null) => (amount === null ? "—" : figures.format(amount));
const dmy = (isoDate: string) => isoDate.split("-").reverse().join("/");

const STATUS: Record<SettlementRecord["status"], { vi: string; en: string }> = {
  running: { vi: "Đang lập bảng kê", en: "running" },
  completed: { vi: "Đã lập bảng kê", en: "statement computed" },
  sent: { vi: "Đã gửi Kho bạc, chờ giấy báo Có", en: "sent, awaiting credit advices" },
  confirmed: { vi: "Kho bạc đã xác nhận", en: "confirmed by the treasury" },
};

const MISMATCH_RESOLUTION: Record<TreasuryResolution, { vi: string; en: string }> = {
  corrected_at_treasury: { vi: "Kho bạc đã điều chỉnh", en: "corrected at the treasury" },
  difference_accepted: { vi: "Chấp nhận chênh lệch", en: "difference accepted" },
};

const DOCUMENT_STATUS: Record<TreasuryDocumentRecord["status"], { vi: string; en: string }> = {
  prepared: { vi: "Chờ Kho bạc tiếp nhận", en: "awaiting acceptance" },
  accepted: { vi: "Kho bạc đã tiếp nhận, chờ giấy báo Có", en: "accepted, awaiting the credit advice" },
  confirmed: { vi: "Đã có giấy báo Có khớp số tiền", en: "credited, amount matches" },
  mismatch: { vi: "Giấy báo Có lệch số tiền", en: "credited amount differs" },
};

const ACCOUNT_KINDS: ReadonlyArray<{ kind: TreasuryDocument["account"]["kind"]; vi: string; en: string }> = [
  { kind: "thu_nsnn", vi: "TK thu NSNN", en: "budget revenue account" },
  { kind: "tam_thu", vi: "TK tạm thu", en: "temporary-collection account" },
  { kind: "other", vi: "TK khác", en: "other account" },
];

const Shell = (props: { title: string; refreshSeconds?: number | undefined; children: Child }) => (
  <PageShell {...props} section="/ops/settlements" stylesheet="/ops/assets/settlement.css" />
);

/** The list of settlement runs, newest business date first. */
const SettlementListPage = (props: { runs: ReadonlyArray<SettlementRecord> }) => (
  <Shell title="Quyết toán">
    <h1>
      <Label vi="Các lần quyết toán với Kho bạc Nhà nước" en="Settlement runs with the State Treasury" />
    </h1>
    <p class="hint">
      Bắt đầu một lần quyết toán:{" "}
      <code>
        POST /v1/ops/settlements {"{"}"business_date": "yyyy-MM-dd"{"}"}
      </code>
      . <span class="en">(Each run is the workflow settlement-&lt;date&gt; in the Temporal UI.)</span>
    </p>
    <table class="grid" data-testid="settlements">
      <thead>
        <tr>
          <th>
            <Label vi="Ngày quyết toán" en="Business date" />
          </th>
          <th>
            <Label vi="Mã bảng kê" en="Settlement" />
          </th>
          <th>
            <Label vi="Trạng thái" en="Status" />
          </th>
          <th class="num">
            <Label vi="Số giao dịch" en="Payments" />
          </th>
          <th class="num">
            <Label vi="Tổng tiền (VND)" en="Total" />
          </th>
          <th>
            <Label vi="Bắt đầu" en="Started" />
          </th>
        </tr>
      </thead>
      <tbody>
        {props.runs.map((run) => (
          <tr>
            <td>{dmy(run.businessDate)}</td>
            <td>
              <a href={`/ops/settlements/${run.id}`}>{run.id}</a>
            </td>
            <td class={`status-${run.status}`}>
              <Label {...STATUS[run.status]} />
            </td>
            <td class="num">{run.paymentCount ?? "—"}</td>
            <td class="num">{money(run.total)}</td>
            <td>{formatVietnamDateTime(run.createdAt, "vi")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Shell>
);

/** The statement by beneficiary and budget code, and the adjustments netted into it. */
const StatementTables = (props: { statement: Statement }) => (
  <section class="sheet">
    <h2>
      <Label
        vi="Bảng kê theo đơn vị thụ hưởng và mã ngân sách"
        en="Statement by beneficiary and budget code"
      />
    </h2>
    <table class="grid" data-testid="statement">
      <thead>
        <tr>
          <th>KBNN</th>
          <th>
            <Label vi="Tài khoản" en="Account" />
          </th>
          <th>
            <Label vi="Đơn vị thu" en="Agency" />
          </th>
          <th>
            <Label vi="Chương" en="Chapter" />
          </th>
          <th>NDKT</th>
          <th>ĐBHC</th>
          <th>
            <Label vi="CQ thu" en="Revenue authority" />
          </th>
          <th class="num">
            <Label vi="Số tiền (VND)" en="Amount" />
          </th>
        </tr>
      </thead>
      <tbody>
        {props.statement.beneficiaries.flatMap((b) => [
          ...b.lines.map((l) => (
            <tr>
              <td>{b.treasury}</td>
              <td>{b.account}</td>
              <td>{b.agency}</td>
              <td>{l.chapter}</td>
              <td>{l.sub_item}</td>
              <td>{l.area}</td>
              <td>{l.revenue_authority}</td>
              <td class="num">{money(l.amount)}</td>
            </tr>
          )),
          <tr class="subtotal">
            <td colspan={7}>
              <Label vi="Cộng đơn vị thụ hưởng" en="Beneficiary total" />
            </td>
            <td class="num">{money(b.total)}</td>
          </tr>,
        ])}
        <tr class="total">
          <td colspan={7}>
            <Label vi="Tổng cộng" en="Total" />
          </td>
          <td class="num" data-testid="statement-total">
            {money(props.statement.total)}
          </td>
        </tr>
      </tbody>
    </table>
    {props.statement.adjustments.length > 0 ? (
      <>
        <h3>
          <Label
            vi="Điều chỉnh: hoàn trả của giao dịch đã quyết toán trước (đã trừ vào bảng kê trên)"
            en="Adjustments: refunds of payments settled earlier, netted above"
          />
        </h3>
        <table class="grid" data-testid="adjustments">
          <thead>
            <tr>
              <th>
                <Label vi="Hoàn trả" en="Refund" />
              </th>
              <th>
                <Label vi="Giao dịch" en="Payment" />
              </th>
              <th>
                <Label vi="Đã quyết toán tại" en="Settled in" />
              </th>
              <th>NDKT</th>
              <th class="num">
                <Label vi="Số tiền (VND)" en="Amount" />
              </th>
            </tr>
          </thead>
          <tbody>
            {props.statement.adjustments.flatMap((a) =>
              a.lines.map((l) => (
                <tr>
                  <td>{a.refund_id}</td>
                  <td>{a.payment_id}</td>
                  <td>
                    <a href={`/ops/settlements/${a.settled_in}`}>{a.settled_in}</a>
                  </td>
                  <td>{l.sub_item}</td>
                  <td class="num">{money(l.amount)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </>
    ) : null}
  </section>
);

const Box = (props: { checked: boolean }) => <span class="box">{props.checked ? "☒" : "☐"}</span>;

/** One Giấy nộp tiền vào NSNN (C1-02/NS) as sent, with what the treasury answered. */
const TreasuryDocumentSheet = (props: { record: TreasuryDocumentRecord }) => {
  const r = props.record;
  const d = r.document;
  return (
    <article class="sheet c102" data-testid="treasury-document">
      <div class="form-code">
        <Label vi="Mẫu số C1-02/NS" en="Form C1-02/NS" />
        <br />
        <Label vi="Số" en="No." />: <strong>{d.document_no}</strong>
      </div>
      <h2 class="title">
        GIẤY NỘP TIỀN VÀO NGÂN SÁCH NHÀ NƯỚC
        <br />
        <span class="en">(State budget payment slip)</span>
      </h2>
      <p class="centered">
        <Box checked={false} /> Tiền mặt <span class="en">(cash)</span>{" "}
        <Box checked={d.method === "transfer"} /> Chuyển khoản <span class="en">(transfer)</span> &nbsp;{" "}
        <Label vi="Loại tiền" en="Currency" />: {d.currency}
      </p>
      <dl class="fields">
        <dt>
          <Label vi="Số tham chiếu" en="Reference no." />
        </dt>
        <dd data-testid="reference-no">{d.reference_no}</dd>
        <dt>
          <Label vi="Người nộp" en="Payer" />
        </dt>
        <dd>
          {d.payer.name} ({d.payer.agency_code})
        </dd>
        <dt>
          <Label vi="Mã số thuế" en="Tax ID" />
        </dt>
        <dd>{d.payer.tax_id ?? "—"}</dd>
        <dt>
          <Label vi="Mã ĐVQHNS" en="Budget-unit code" />
        </dt>
        <dd>{d.payer.dvqhns_code ?? "—"}</dd>
        <dt>
          <Label vi="Địa chỉ" en="Address" />
        </dt>
        <dd>{d.payer.address ?? "—"}</dd>
        <dt>
          <Label vi="Nộp vào tài khoản" en="Into account" />
        </dt>
        <dd>
          {ACCOUNT_KINDS.map((k) => (
            <>
              <Box checked={d.account.kind === k.kind} /> {k.vi} <span class="en">({k.en})</span>{" "}
            </>
          ))}
          — <Label vi="số" en="no." /> <strong>{d.account.number}</strong>
        </dd>
        <dt>
          <Label vi="Tại Kho bạc Nhà nước" en="At the State Treasury" />
        </dt>
        <dd>
          {d.treasury.code}
          {d.treasury.name ? ` – ${d.treasury.name}` : ""}
        </dd>
        <dt>
          <Label vi="Ngày quyết toán" en="Business date" />
        </dt>
        <dd>{dmy(d.business_date)}</dd>
      </dl>
      <table class="grid lines">
        <thead>
          <tr>
            <th>STT</th>
            <th>
              <Label vi="Nội dung các khoản nộp NSNN" en="Content" />
            </th>
            <th class="num">
              <Label vi="Số tiền (VND)" en="Amount" />
            </th>
            <th>
              <Label vi="Mã chương" en="Chapter" />
            </th>
            <th>
              <Label vi="Mã NDKT" en="Sub-item" />
            </th>
            <th>
              <Label vi="Mã ĐBHC" en="Area" />
            </th>
            <th>
              <Label vi="Mã CQ thu" en="Revenue authority" />
            </th>
          </tr>
        </thead>
        <tbody>
          {d.lines.map((l) => (
            <tr>
              <td>{l.no}</td>
              <td>{l.content}</td>
              <td class="num">{money(l.amount)}</td>
              <td>{l.chapter}</td>
              <td>{l.sub_item}</td>
              <td>{l.area}</td>
              <td>{l.revenue_authority}</td>
            </tr>
          ))}
          <tr class="total">
            <td colspan={2}>
              <Label vi="Tổng cộng" en="Total" />
            </td>
            <td class="num" data-testid="document-total">
              {money(d.total)}
            </td>
            <td colspan={4} />
          </tr>
        </tbody>
      </table>
      <p>
        <Label vi="Tổng số tiền ghi bằng chữ" en="Total in words" />:{" "}
        <em data-testid="total-in-words">{d.total_in_words}</em>
      </p>
      <dl class="fields treasury-part">
        <dt>
          <Label vi="Phần KBNN ghi" en="For the treasury" />
        </dt>
        <dd>
          <Label {...DOCUMENT_STATUS[r.status]} />
        </dd>
        <dt>
          <Label vi="Số tiếp nhận" en="Treasury receipt no." />
        </dt>
        <dd>{r.treasuryReceiptNo ?? "—"}</dd>
        {r.lastRefusal ? (
          <>
            <dt>
              <Label vi="Lý do từ chối gần nhất" en="Last refusal" />
            </dt>
            <dd>{r.lastRefusal}</dd>
          </>
        ) : null}
        <dt>
          <Label vi="Giấy báo Có" en="Credit advice" />
        </dt>
        <dd data-testid="credit-advice">
          {r.adviceNo
            ? `${r.adviceNo} — ${money(r.adviceAmount)} VND, ngày hiệu lực ${dmy(r.adviceValueDate ?? "")}`
            : "—"}
        </dd>
        {r.resolution ? (
          <>
            <dt>
              <Label vi="Xử lý chênh lệch" en="Difference resolved" />
            </dt>
            <dd data-testid="mismatch-resolution">
              <Label {...MISMATCH_RESOLUTION[r.resolution.resolution]} /> — {r.resolution.resolvedBy}:{" "}
              {r.resolution.note}
            </dd>
          </>
        ) : null}
      </dl>
      <div class="signatures">
        <div>
          <strong>ĐƠN VỊ NỘP TIỀN</strong> <span class="en">(payer)</span>
          <p>Kế toán trưởng · Thủ trưởng đơn vị</p>
        </div>
        <div>
          <strong>KHO BẠC NHÀ NƯỚC</strong> <span class="en">(State Treasury)</span>
          <p>Kế toán · Kế toán trưởng · Thủ trưởng</p>
        </div>
      </div>
    </article>
  );
};

/** One run: its status, statement and the C1-02/NS of each beneficiary, ready to print. */
const SettlementPage = (props: {
  settlement: SettlementRecord;
  documents: ReadonlyArray<TreasuryDocumentRecord>;
}) => {
  const s = props.settlement;
  return (
    <Shell
      title={`Quyết toán ${dmy(s.businessDate)}`}
      {...(s.status === "confirmed" ? {} : { refreshSeconds: 10 })}
    >
      <p class="hint">
        Dùng chức năng In của trình duyệt (Ctrl+P) để in bảng kê và giấy nộp tiền.{" "}
        <span class="en">
          (Use the browser's Print command to print the statement and the payment slips.)
        </span>{" "}
        <a href={`/ops/settlements/${s.id}/statement.csv`}>statement.csv</a>
      </p>
      <section class="sheet">
        <h1>
          <Label vi={`Bảng kê quyết toán ngày ${dmy(s.businessDate)}`} en="Settlement statement" />
        </h1>
        <dl class="fields">
          <dt>
            <Label vi="Mã bảng kê" en="Settlement" />
          </dt>
          <dd>{s.id}</dd>
          <dt>
            <Label vi="Trạng thái" en="Status" />
          </dt>
          <dd class={`status-${s.status}`} data-testid="status">
            <Label {...STATUS[s.status]} />
          </dd>
          <dt>
            <Label vi="Số giao dịch quyết toán" en="Payments settled" />
          </dt>
          <dd>{s.paymentCount ?? "—"}</dd>
          <dt>
            <Label vi="Bắt đầu" en="Started" />
          </dt>
          <dd>{formatVietnamDateTime(s.createdAt, "vi")}</dd>
          {s.confirmedAt ? (
            <>
              <dt>
                <Label vi="Kho bạc xác nhận" en="Confirmed" />
              </dt>
              <dd>{formatVietnamDateTime(s.confirmedAt, "vi")}</dd>
            </>
          ) : null}
        </dl>
      </section>
      {s.statement ? <StatementTables statement={s.statement} /> : null}
      {props.documents.map((record) => (
        <TreasuryDocumentSheet record={record} />
      ))}
    </Shell>
  );
};

/** The operators' settlement pages, /ops/settlements[/:id], behind the operations key. */
export const opsSettlementPages = (deps: ApiDeps) => {
  const app = new Hono();
  const opsKey = Option.match(deps.config.opsApiKey, { onNone: () => null, onSome: Redacted.value });

  app.use("*", readOnlyPageHeaders);

  app.get("/assets/settlement.css", (c) => {
    c.header("Content-Type", "text/css; charset=utf-8");
    return c.body(STYLES);
  });

  app.use("/settlements", opsPageAuth(opsKey));
  app.use("/settlements/*", opsPageAuth(opsKey));

  app.get("/settlements", async (c) =>
    c.html(<SettlementListPage runs={await listSettlements(deps.sql, { limit: 200 })} />),
  );

  // The same CSV as the ops API's, behind the pages' HTTP Basic: a browser follows the link as it is.
  app.get("/settlements/:id/statement.csv", async (c) => {
    const settlement = await findSettlement(deps.sql, c.req.param("id"));
    if (settlement === null) return c.text("No such settlement", 404);
    return statementCsvResponse(c, settlement, await listDocuments(deps.sql, settlement.id));
  });

  app.get("/settlements/:id", async (c) => {
    const settlement = await findSettlement(deps.sql, c.req.param("id"));
    if (settlement === null) {
      return c.html(
        <Shell title="Không tìm thấy">
          <p>
            <Label vi="Không có lần quyết toán này." en="No such settlement." />
          </p>
        </Shell>,
        404,
      );
    }
    return c.html(
      <SettlementPage settlement={settlement} documents={await listDocuments(deps.sql, settlement.id)} />,
    );
  });

  return app;
};
