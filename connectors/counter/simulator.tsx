/**
 * A sandbox that plays the store-counter chain, mounted by the platform under options.basePath
 * ("/counter"). It is the POS: it calls PayGov's agent API (<PayGov>/agents/<id>/…, PayGov's base taken
 * from options.ipnUrl) and verifies every reply's signature.
 *   GET  /                      the clerk's screen; POST /pos/lookup, /pos/confirm, /pos/reverse its forms
 *   GET  /recon?date=yyyyMMdd&partnerCode=&signature=   the day's collections in the canonical layout (§11)
 *   POST /_sim/lookup {paymentCode}                     look a code up; PayGov's verified answer
 *   POST /_sim/confirm {paymentCode, amount?, transactionId?, storeId?}   take the cash and confirm it
 *   POST /_sim/reverse {paymentCode, transactionId, storeId?}            reverse a collection
 *   POST /_sim/pay {reference, outcome?, transactionId?}  look up + confirm (success) or walk away
 *   POST|DELETE /_sim/behaviour, GET /_sim/transactions, GET /_sim/callbacks/:code, POST …/resend  (kit)
 * Behaviours (the kit's, per payment code or by magic amount): callback drop | duplicate | delay applies
 * to CONFIRM and REVERSE (reorder is read as delay: there is no browser), tamperSignature to every
 * request, tamperAmount to CONFIRM, api unavailable | hang to /recon. A look-up learns the amount, so
 * magic amounts apply from the CONFIRM on. initiate, refund and autoPay mean nothing here: PayGov opens
 * nothing at the chain, asks it for no refunds, and there is no page to open. Nothing personal is logged.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { vietnamBusinessDate } from "../../domain/vietnam-time.ts";
import type { SimulatorOptions } from "../sdk/contract.ts";
import { type ReconRow, writeReconFile } from "../sdk/recon-file.ts";
import {
  BehaviourStore,
  misbehavingApi,
  type SimulatorControl,
  simulatorControlRoutes,
} from "../sdk/simulator-kit.ts";
import { type CounterConfig, partnerOf } from "./config.ts";
import {
  type CounterBill,
  hmacSha256Hex,
  isVndAmount,
  RESULT_CODES,
  reconSigningString,
  signaturesMatch,
} from "./protocol.ts";
import { ClerkPage, type Notice } from "./simulator-pages.tsx";
import { makePos, type Pos, type PosCall } from "./simulator-pos.ts";
import { businessDateOf } from "./time.ts";

/** The store a request names when the tester does not say (the simulated chain's first store). */
export const DEFAULT_STORE_ID = "CH0001";

/** PayGov's agent API for this chain, from the IPN URL the sandbox hands every simulator. */
export const agentUrlOf = (ipnUrl: string, basePath: string): string => {
  const match = /^(.*)\/callbacks\/([^/]+)\/ipn$/.exec(ipnUrl);
  return match ? `${match[1]}/agents/${match[2]}` : `${new URL(ipnUrl).origin}/agents${basePath}`;
};

const jsonBody = async (c: Context): Promise<Record<string, unknown>> => {
  const body: unknown = await c.req.json().catch(() => null);
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
};

const stringField = (body: Record<string, unknown>, name: string): string | null =>
  typeof body[name] === "string" && body[name] !== "" ? (body[name] as string) : null;

/** What a clerk types, as the POS sends it: the spaces of "1234 5678 …" removed, nothing else changed. */
const typedCode = (text: string): string => text.replace(/\s+/g, "");

/** The first verified reply of a call, as the banner shows it. */
const noticeOf = (
  call: PosCall,
  success: (answer: NonNullable<PosCall["replies"][number]["answer"]>) => string,
): Notice => {
  if (!call.sent) return { tone: "error", code: "--", text: "Chưa gửi yêu cầu (mô phỏng: drop)" };
  const reply = call.replies.find((r) => r.answer !== null);
  if (reply?.answer == null)
    return {
      tone: "error",
      code: "--",
      text: "Không có trả lời hợp lệ từ PayGov",
      detail: call.replies.at(-1)?.error ?? "no answer",
    };
  const answer = reply.answer;
  return answer.kind === "refused"
    ? { tone: "error", code: answer.resultCode, text: answer.message, detail: answer.detail }
    : { tone: "ok", code: "00", text: success(answer) };
};

/** A call as the control API returns it; 502 when PayGov's replies never verified. */
const callJson = (c: Context, call: PosCall, extra: Record<string, unknown> = {}) => {
  const verified = call.replies.filter((r) => r.answer !== null);
  const body = {
    operation: call.operation,
    requestId: call.requestId,
    sent: call.sent,
    answer: verified[0]?.answer ?? null,
    replies: call.replies,
    ...extra,
  };
  if (call.sent && verified.length === 0)
    return c.json({ ...body, error: call.replies.at(-1)?.error ?? "PayGov did not answer" }, 502);
  return c.json(body);
};

/** The file's D rows of one Vietnam day: collections PayGov confirmed, and reversals it accepted. */
const reconRows = (pos: Pos, businessDate: string): ReconRow[] => {
  const rows: ReconRow[] = [];
  for (const t of pos.transactions()) {
    const common = {
      // The chain only ever knows the payment code: PayGov's attempt reference never reaches the counter.
      merchantRef: t.paymentCode,
      fee: 0,
      currency: "VND",
      createdAt: t.paidAt,
      channel: t.storeId,
      providerStatusCode: "00",
      payerMasked: t.payerName,
      dossierCode: "",
      amount: t.amount,
    };
    if (t.confirmedAt !== null && vietnamBusinessDate(t.confirmedAt) === businessDate)
      rows.push({
        ...common,
        txnType: "PAYMENT",
        providerTxnId: t.transactionId,
        originalProviderTxnId: "",
        completedAt: t.confirmedAt,
        status: "SUCCESS",
      });
    if (t.reversedAt !== null && vietnamBusinessDate(t.reversedAt) === businessDate)
      rows.push({
        ...common,
        txnType: "REVERSAL",
        providerTxnId: `${t.transactionId}-R`,
        originalProviderTxnId: t.transactionId,
        completedAt: t.reversedAt,
        status: "SUCCESS",
      });
  }
  return rows.sort((a, b) => a.completedAt.getTime() - b.completedAt.getTime());
};

/** The counter chain's simulator for one partner (options.merchant). */
export const counterSimulator = (options: SimulatorOptions<CounterConfig>): Hono => {
  const partner = partnerOf(options.merchant);
  const behaviours = new BehaviourStore();
  const pos = makePos({
    partner,
    agentUrl: agentUrlOf(options.ipnUrl, options.basePath),
    fetch: options.fetch,
    now: options.now,
    behaviours,
  });
  const app = new Hono();

  const page = async (
    c: Context,
    props: {
      code?: string;
      storeId?: string;
      bill?: CounterBill | null;
      notice?: Notice | null;
    },
  ) =>
    c.html(
      `<!DOCTYPE html>${await (
        <ClerkPage
          basePath={options.basePath}
          code={props.code ?? ""}
          storeId={props.storeId ?? DEFAULT_STORE_ID}
          bill={props.bill ?? null}
          notice={props.notice ?? null}
          transactions={pos.transactions().toReversed().slice(0, 20)}
        />
      )}`,
    );

  const form = async (c: Context) => {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    return (name: string) => (typeof body[name] === "string" ? (body[name] as string).trim() : "");
  };

  /** Looks up and, for "success", confirms the bill's own amount; "failure"/"cancel": the customer leaves. */
  const pay = async (
    paymentCode: string,
    outcome: "success" | "failure" | "cancel",
    transactionId?: string,
  ) => {
    const looked = await pos.lookup(paymentCode);
    const answer = looked.replies[0]?.answer ?? null;
    if (answer === null)
      return { ok: false as const, status: 502 as const, error: looked.replies[0]?.error ?? "" };
    if (answer.kind !== "bill")
      return {
        ok: false as const,
        status: answer.kind === "refused" && answer.resultCode === "01" ? (404 as const) : (409 as const),
        error: `${answer.kind === "refused" ? `${answer.resultCode} ${answer.message}` : answer.kind}`,
      };
    if (answer.bill.status !== "PAYABLE")
      return { ok: false as const, status: 409 as const, error: `the bill is ${answer.bill.status}` };
    if (outcome !== "success") return { ok: true as const, call: looked, transaction: null };
    const confirmed = await pos.confirm({
      paymentCode,
      amount: answer.bill.amount,
      storeId: DEFAULT_STORE_ID,
      ...(transactionId === undefined ? {} : { transactionId }),
    });
    return { ok: true as const, call: confirmed.call, transaction: confirmed.transaction };
  };

  app.get("/", (c) => page(c, {}));

  app.post("/pos/lookup", async (c) => {
    const value = await form(c);
    const code = typedCode(value("code"));
    const storeId = value("store") || DEFAULT_STORE_ID;
    const call = await pos.lookup(code);
    const answer = call.replies[0]?.answer ?? null;
    return page(c, {
      code,
      storeId,
      bill: answer?.kind === "bill" ? answer.bill : null,
      notice: answer?.kind === "bill" ? null : noticeOf(call, () => ""),
    });
  });

  app.post("/pos/confirm", async (c) => {
    const value = await form(c);
    const code = typedCode(value("code"));
    const amount = Number(value("amount"));
    const storeId = value("store") || DEFAULT_STORE_ID;
    if (!isVndAmount(amount))
      return page(c, { code, storeId, notice: { tone: "error", code: "--", text: "Số tiền không hợp lệ" } });
    const { call } = await pos.confirm({ paymentCode: code, amount, storeId });
    return page(c, {
      code,
      storeId,
      notice: noticeOf(call, (a) =>
        a.kind === "confirmed"
          ? `${RESULT_CODES["00"].vi}: giao dịch ${a.transactionId}, biên nhận PayGov ${a.receiptId}${a.duplicate ? " (đã xác nhận trước đó)" : ""}`
          : "",
      ),
    });
  });

  app.post("/pos/reverse", async (c) => {
    const value = await form(c);
    const code = typedCode(value("code"));
    const storeId = value("store") || DEFAULT_STORE_ID;
    const { call } = await pos.reverse({ paymentCode: code, transactionId: value("transactionId"), storeId });
    return page(c, {
      code,
      storeId,
      notice: noticeOf(call, (a) => (a.kind === "reversed" ? `Đã hủy giao dịch ${a.transactionId}` : "")),
    });
  });

  app.get("/recon", async (c) => {
    const misbehaved = await misbehavingApi(c, behaviours.for(null).api);
    if (misbehaved) return misbehaved;
    const date = c.req.query("date") ?? "";
    const businessDate = businessDateOf(date);
    if (businessDate === null) return c.text("date must be a calendar day as yyyyMMdd", 400);
    if (
      c.req.query("partnerCode") !== partner.partnerCode ||
      !signaturesMatch(
        hmacSha256Hex(partner.secret, reconSigningString(partner.partnerCode, date)),
        c.req.query("signature"),
      )
    )
      return c.text("partnerCode and signature do not match", 401);
    const file = writeReconFile({
      provider: "COUNTER",
      merchantId: partner.partnerCode,
      businessDate,
      generatedAt: options.now(),
      rows: reconRows(pos, businessDate),
    });
    return c.body(file, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="COUNTER_${partner.partnerCode}_${date}.csv"`,
    });
  });

  app.post("/_sim/lookup", async (c) => {
    const paymentCode = stringField(await jsonBody(c), "paymentCode");
    if (paymentCode === null) return c.json({ error: 'expected {"paymentCode": string}' }, 400);
    return callJson(c, await pos.lookup(typedCode(paymentCode)));
  });

  app.post("/_sim/confirm", async (c) => {
    const body = await jsonBody(c);
    const paymentCode = stringField(body, "paymentCode");
    const transactionId = stringField(body, "transactionId");
    if (paymentCode === null || (body.amount !== undefined && !isVndAmount(body.amount)))
      return c.json(
        { error: 'expected {"paymentCode": string, "amount"?: VND, "transactionId"?, "storeId"?}' },
        400,
      );
    let amount = body.amount as number | undefined;
    if (amount === undefined) {
      // As a clerk does: the amount to take is the one the look-up shows.
      const looked = await pos.lookup(typedCode(paymentCode));
      const answer = looked.replies[0]?.answer;
      if (answer?.kind !== "bill") return c.json({ error: "the look-up found no bill", lookup: looked }, 409);
      amount = answer.bill.amount;
    }
    const { call, transaction } = await pos.confirm({
      paymentCode: typedCode(paymentCode),
      amount,
      storeId: stringField(body, "storeId") ?? DEFAULT_STORE_ID,
      ...(transactionId === null ? {} : { transactionId }),
    });
    return callJson(c, call, { transaction });
  });

  app.post("/_sim/reverse", async (c) => {
    const body = await jsonBody(c);
    const paymentCode = stringField(body, "paymentCode");
    const transactionId = stringField(body, "transactionId");
    if (paymentCode === null || transactionId === null)
      return c.json({ error: 'expected {"paymentCode": string, "transactionId": string, "storeId"?}' }, 400);
    const { call, transaction } = await pos.reverse({
      paymentCode: typedCode(paymentCode),
      transactionId,
      storeId: stringField(body, "storeId") ?? DEFAULT_STORE_ID,
    });
    return callJson(c, call, { transaction });
  });

  // The kit's /_sim/pay takes {reference, outcome}; this one also takes the chain's transactionId, so it
  // is registered first and answers for both.
  app.post("/_sim/pay", async (c) => {
    const body = await jsonBody(c);
    const reference = stringField(body, "reference");
    const outcome = body.outcome ?? "success";
    if (reference === null || (outcome !== "success" && outcome !== "failure" && outcome !== "cancel"))
      return c.json(
        {
          error:
            'expected {"reference": payment code, "outcome"?: "success"|"failure"|"cancel", "transactionId"?}',
        },
        400,
      );
    const transactionId = stringField(body, "transactionId");
    const result = await pay(typedCode(reference), outcome, transactionId ?? undefined);
    if (!result.ok) return c.json({ error: result.error }, result.status);
    return callJson(c, result.call, { returnUrl: null, transaction: result.transaction });
  });

  const control: SimulatorControl = {
    behaviours,
    async pay(reference, outcome) {
      const result = await pay(typedCode(reference), outcome);
      if (result.ok) return { ok: true, returnUrl: null };
      return { ok: false, status: result.status === 404 ? 404 : 409, error: result.error };
    },
    transactions: () => pos.transactions(),
    lastCallback: (reference) => pos.lastCall(typedCode(reference))?.request ?? null,
    resend: (reference) => pos.resend(typedCode(reference)),
  };
  app.route("/_sim", simulatorControlRoutes(control));

  return app;
};
