/**
 * A sandbox that plays both the citizen's banking app and the collection account's bank, mounted by
 * the platform under options.basePath ("/vietqr"):
 *   GET  /                        the app's home: paste a VietQR payload; the account's incoming transfers
 *   GET  /app?qr=<payload>        "scan": the decoded transfer (CRC checked), amount and description editable
 *   POST /app                     the citizen's choice: transfer, refused by their bank, or cancel
 *   POST /manual                  a transfer typed in by hand: {amount, description}, no QR
 *   POST /_sim/transfer           the same from a test: {qr | reference | description, amount?}
 *   GET  /recon?date=yyyyMMdd     the account's statement of that Vietnam day, canonical layout (§11)
 *   /_sim/*                       the kit's control API (behaviour, pay, transactions, callbacks)
 * A QR's checkout link is not a URL, so a transfer starts from its payload. Only money reaching the
 * collection account produces a notification: a refused or abandoned transfer sends nothing at all.
 */
import { randomInt } from "node:crypto";
import type { Context } from "hono";
import { Hono } from "hono";
import type { JSX } from "hono/jsx/jsx-runtime";
import { formatVietnamIso, vietnamBusinessDate } from "../../domain/vietnam-time.ts";
import type { SimulatorOptions } from "../sdk/contract.ts";
import { type ReconRow, writeReconFile } from "../sdk/recon-file.ts";
import {
  BehaviourStore,
  type CallbackDelivery,
  type CapturedCallback,
  DEFAULT_SIM_BEHAVIOUR,
  misbehavingApi,
  parseBehaviour,
  type SimBehaviour,
  type SimulatorControl,
  sendCallback,
  simulatorControlRoutes,
} from "../sdk/simulator-kit.ts";
import { bankName } from "./banks.ts";
import type { VietqrConfig } from "./config.ts";
import { merchantOf } from "./config.ts";
import {
  answerStopsRetries,
  decodeVietqr,
  extractReference,
  formatBankTime,
  parseBankTime,
  SIGNATURE_HEADER,
  signBody,
  type VietqrNotification,
  type VietqrTransfer,
  writeNotification,
} from "./protocol.ts";
import { ErrorPage, HomePage, ReceiptPage, TransferPage, type TransferView } from "./simulator-pages.tsx";

/** A notification with tamperAmount claims this many đồng more than moved. */
const TAMPER_EXTRA_VND = 1_000;
/** The simulated citizen banks with MB; the notification names the payer's bank by BIN. */
const PAYER_BANK_BIN = "970422";
/** NAPAS 247 carries up to 210 characters of description [U]; the app refuses longer text. */
const MAX_CONTENT_LENGTH = 210;

type Outcome = "success" | "failure" | "cancel";

/** A QR the app has read: its reference (when its description carries one) names it to the control API. */
interface ScannedQr {
  readonly payload: string;
  readonly transfer: VietqrTransfer;
  readonly reference: string | null;
}

/** A scan's result; `reason` names why the app refused the QR (the error page's data-reason). */
type ScanResult =
  | { readonly ok: true; readonly qr: ScannedQr }
  | {
      readonly ok: false;
      readonly message: string;
      readonly reason: "invalid_qr" | "not_account" | "other_account";
    };

/** Money that reached the collection account, and the notification about it. */
interface SimTransfer {
  readonly transactionId: string;
  readonly referenceNumber: string;
  /** Our reference as found in the description, the way PayGov reads it; null for a stray transfer. */
  readonly reference: string | null;
  readonly content: string;
  /** What moved, whatever the notification claims. */
  readonly amount: number;
  /** What the QR asked for, when the transfer came from one. */
  readonly dueAmount: number | null;
  readonly at: Date;
  /** What the bank reports (the amount tampered when told so), and the key it signs with. */
  readonly notification: VietqrNotification;
  readonly signingSecret: string;
  /** The last notification sent (or that would have been, when dropped). */
  callback: CapturedCallback;
  readonly deliveries: CallbackDelivery[];
}

/** A transfer the citizen did not make: their bank refused it, or they cancelled. */
interface NotMade {
  readonly reference: string | null;
  readonly outcome: "failure" | "cancel";
  readonly at: Date;
}

const html = async (c: Context, page: JSX.Element, status: 200 | 400 | 404 | 409 = 200) =>
  c.html(`<!DOCTYPE html>${await page}`, status);

const jsonBody = async (c: Context): Promise<unknown> => c.req.json().catch(() => undefined);

const isOutcome = (value: unknown): value is Outcome =>
  value === "success" || value === "failure" || value === "cancel";

/** A whole positive number of VND from a form or JSON value; null otherwise. */
const amountOf = (value: unknown): number | null => {
  const n = typeof value === "string" && /^\d{1,13}$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : null;
};

/** The simulator for one collection account (options.merchant), notifying options.ipnUrl. */
export const vietqrSimulator = (options: SimulatorOptions<VietqrConfig>): Hono => {
  const merchant = merchantOf(options.merchant);
  const behaviours = new BehaviourStore();
  const scanned = new Map<string, ScannedQr>();
  const transfers: SimTransfer[] = [];
  const notMade: NotMade[] = [];
  // Random starts so two simulator runs do not hand out the same ids (the statement's DUPLICATE check).
  let sequence = randomInt(10_000_000, 90_000_000);
  const app = new Hono();

  const view = (t: SimTransfer): TransferView => {
    const last = t.deliveries.at(-1);
    return {
      transactionId: t.transactionId,
      at: formatVietnamIso(t.at),
      amount: t.amount,
      content: t.content,
      answer: last === undefined ? null : `${last.status ?? "no answer"} ${last.body ?? ""}`.trim(),
    };
  };

  /** Reads a QR as the app does: a valid VietQR, to this bank's collection account, to an account. */
  const scan = (payload: string): ScanResult => {
    const decoded = decodeVietqr(payload.trim());
    if (!decoded.ok) return { ok: false, message: decoded.message, reason: "invalid_qr" };
    const transfer = decoded.value;
    if (transfer.service !== "QRIBFTTA")
      return { ok: false, message: "this app transfers to accounts only (QRIBFTTA)", reason: "not_account" };
    if (transfer.bankBin !== merchant.bankBin || transfer.accountNo !== merchant.accountNo)
      return {
        ok: false,
        message:
          "this sandbox only sees transfers to its collection account (VIETQR_BANK_BIN, VIETQR_ACCOUNT_NO)",
        reason: "other_account",
      };
    const reference = extractReference(transfer.description ?? "");
    const qr = { payload: payload.trim(), transfer, reference };
    if (reference !== null) scanned.set(reference, qr);
    return { ok: true, qr };
  };

  /** The notification signed as of now: a bank signs every delivery afresh (protocol.ts, replay window). */
  const signedNow = (t: Pick<SimTransfer, "notification" | "signingSecret">): CapturedCallback => {
    const body = writeNotification({ ...t.notification, notifiedAt: formatVietnamIso(options.now()) });
    return {
      method: "POST",
      url: options.ipnUrl,
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signBody(body, t.signingSecret) },
      body,
    };
  };

  /** Credits the account and notifies PayGov, as the behaviour for this reference and amount says. */
  const transfer = async (
    input: { content: string; amount: number; dueAmount: number | null },
    patch: Partial<SimBehaviour> = {},
  ): Promise<SimTransfer> => {
    const at = options.now();
    const reference = extractReference(input.content);
    // Magic amounts are the QR's (what the portal asked for), not what the citizen typed.
    const behaviour = { ...behaviours.for(reference, input.dueAmount ?? input.amount), ...patch };
    sequence += 1;
    const d = formatBankTime(at);
    const notification: VietqrNotification = {
      transactionId: `FT${d.slice(2, 4)}${d.slice(5, 7)}${d.slice(8, 10)}${sequence}`,
      transactionTime: d,
      accountNumber: merchant.accountNo,
      transferType: "in",
      amount: input.amount + (behaviour.tamperAmount ? TAMPER_EXTRA_VND : 0),
      currency: "VND",
      content: input.content,
      referenceNumber: String(sequence).padStart(12, "0"),
      counterBankBin: PAYER_BANK_BIN,
      notifiedAt: formatVietnamIso(at),
    };
    const signingSecret = behaviour.tamperSignature ? `${merchant.secret}-forged` : merchant.secret;
    const record: SimTransfer = {
      transactionId: notification.transactionId,
      referenceNumber: notification.referenceNumber,
      reference,
      content: input.content,
      amount: input.amount,
      dueAmount: input.dueAmount,
      at,
      notification,
      signingSecret,
      // Captured before sending, so a dropped notification can still be replayed by a test.
      callback: signedNow({ notification, signingSecret }),
      deliveries: [],
    };
    transfers.push(record);
    const sending = sendCallback(
      options.fetch,
      record.callback,
      behaviour,
      answerStopsRetries,
      (delivery) => record.deliveries.push(delivery),
      options.now,
    );
    // There is no browser to send back first: "reorder" is a late notification like "delay".
    if (behaviour.callback !== "delay" && behaviour.callback !== "reorder") await sending;
    return record;
  };

  /** The citizen's choice on a scanned QR; a transfer only when it succeeds. */
  const complete = async (
    qr: ScannedQr,
    outcome: Outcome,
    input: { amount: number; content: string },
    patch: Partial<SimBehaviour> = {},
  ): Promise<SimTransfer | null> => {
    if (outcome !== "success") {
      notMade.push({ reference: qr.reference, outcome, at: options.now() });
      return null;
    }
    return transfer({ ...input, dueAmount: qr.transfer.amount }, patch);
  };

  /** A transfer as the control API reports it (no personal data: the payer is only a bank BIN). */
  const describe = (t: SimTransfer) => ({
    ...view(t),
    reference: t.reference,
    referenceNumber: t.referenceNumber,
    dueAmount: t.dueAmount,
    deliveries: t.deliveries.map((d) => ({ ...d, at: formatVietnamIso(d.at) })),
  });

  const control: SimulatorControl = {
    behaviours,
    async pay(reference, outcome) {
      const qr = scanned.get(reference);
      if (qr === undefined)
        return { ok: false, status: 404, error: "no VietQR with this reference was scanned (GET /app?qr=…)" };
      if (qr.transfer.amount === null)
        return { ok: false, status: 409, error: "a static QR has no amount: use POST /_sim/transfer" };
      if (transfers.some((t) => t.reference === reference))
        return { ok: false, status: 409, error: "this QR was already paid" };
      await complete(qr, outcome, { amount: qr.transfer.amount, content: qr.transfer.description ?? "" });
      return { ok: true, returnUrl: null };
    },
    transactions: () => [
      ...transfers.map(describe),
      ...notMade.map((n) => ({ ...n, at: formatVietnamIso(n.at) })),
    ],
    lastCallback: (reference) =>
      transfers.findLast((t) => t.reference === reference || t.transactionId === reference)?.callback ?? null,
    async resend(reference) {
      const t = transfers.findLast((x) => x.reference === reference || x.transactionId === reference);
      if (t === undefined) return null;
      // The bank delivering again: the same transfer, signed anew (a replayed old body would be refused).
      t.callback = signedNow(t);
      const deliveries: CallbackDelivery[] = [];
      await sendCallback(
        options.fetch,
        t.callback,
        DEFAULT_SIM_BEHAVIOUR,
        answerStopsRetries,
        (delivery) => {
          deliveries.push(delivery);
          t.deliveries.push(delivery);
        },
        options.now,
      );
      return deliveries;
    },
  };

  app.get("/", (c) =>
    html(c, <HomePage basePath={options.basePath} transfers={transfers.map(view).reverse()} />),
  );

  app.get("/app", async (c) => {
    const qr = scan(c.req.query("qr") ?? "");
    if (!qr.ok) return html(c, <ErrorPage reason={qr.reason} message={qr.message} />, 400);
    const behaviour = behaviours.for(qr.qr.reference, qr.qr.transfer.amount ?? undefined);
    // Headless runs and benchmarks: scanning pays at once with the outcome they set.
    if (behaviour.autoPay !== null && qr.qr.transfer.amount !== null) {
      const made = await complete(qr.qr, behaviour.autoPay, {
        amount: qr.qr.transfer.amount,
        content: qr.qr.transfer.description ?? "",
      });
      return html(
        c,
        <ReceiptPage basePath={options.basePath} outcome={behaviour.autoPay} transfer={made && view(made)} />,
      );
    }
    return html(
      c,
      <TransferPage
        basePath={options.basePath}
        payload={qr.qr.payload}
        transfer={qr.qr.transfer}
        bank={bankName(qr.qr.transfer.bankBin)}
        accountName={merchant.accountName}
        behaviour={behaviour}
      />,
    );
  });

  app.post("/app", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
    const qr = scan(field("qr"));
    if (!qr.ok) return html(c, <ErrorPage reason={qr.reason} message={qr.message} />, 400);
    const outcome = field("outcome");
    const amount = amountOf(field("amount"));
    const content = field("description").trim();
    const delaySeconds = field("delaySeconds");
    const patch = parseBehaviour({
      ...(field("callback") === "" ? {} : { callback: field("callback") }),
      ...(delaySeconds === "" ? {} : { delayMs: Math.round(Number(delaySeconds) * 1000) }),
      tamperAmount: field("tamperAmount") !== "",
      tamperSignature: field("tamperSignature") !== "",
    });
    if (!isOutcome(outcome) || amount === null || content.length > MAX_CONTENT_LENGTH || !patch.ok)
      return html(
        c,
        <ErrorPage
          reason="invalid_form"
          message="outcome, a whole amount and a description up to 210 characters"
        />,
        400,
      );
    const made = await complete(qr.qr, outcome, { amount, content }, patch.behaviour);
    return html(
      c,
      <ReceiptPage basePath={options.basePath} outcome={outcome} transfer={made && view(made)} />,
    );
  });

  // Many citizens type the account and description in rather than scan: the money still reaches the
  // account, and PayGov must find the payment from the description alone.
  app.post("/manual", async (c) => {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
    const amount = amountOf(field("amount").replace(/[.\s]/g, ""));
    const content = field("description").trim();
    if (amount === null || content === "" || content.length > MAX_CONTENT_LENGTH)
      return html(
        c,
        <ErrorPage
          reason="invalid_form"
          message="a whole amount in VND and a description up to 210 characters"
        />,
        400,
      );
    const made = await transfer({ content, amount, dueAmount: null });
    return html(c, <ReceiptPage basePath={options.basePath} outcome="success" transfer={view(made)} />);
  });

  app.post("/_sim/transfer", async (c) => {
    const body = (await jsonBody(c)) as Record<string, unknown> | undefined;
    const given = (name: string) => (typeof body?.[name] === "string" ? (body[name] as string) : null);
    const amount = body?.amount === undefined ? undefined : amountOf(body.amount);
    if (amount === null) return c.json({ error: "amount must be a whole positive number of VND" }, 400);
    const description = given("description");
    if (description !== null && description.length > MAX_CONTENT_LENGTH)
      return c.json({ error: `description has more than ${MAX_CONTENT_LENGTH} characters` }, 400);

    let qr: ScannedQr | null = null;
    const payload = given("qr");
    const reference = given("reference");
    if (payload !== null) {
      const read = scan(payload);
      if (!read.ok)
        return c.json({ error: read.message, reason: read.reason }, read.reason === "invalid_qr" ? 400 : 409);
      qr = read.qr;
    } else if (reference !== null) {
      qr = scanned.get(reference) ?? null;
      if (qr === null) return c.json({ error: "no VietQR with this reference was scanned" }, 404);
    } else if (description === null) {
      return c.json({ error: 'expected {"qr"} or {"reference"} or {"description", "amount"}' }, 400);
    }
    // A transfer typed in by hand (no QR) needs its amount; from a QR the amount defaults to the QR's.
    const moved = amount ?? qr?.transfer.amount ?? null;
    if (moved === null) return c.json({ error: "amount is required without a dynamic QR" }, 400);
    const made = await transfer({
      content: description ?? qr?.transfer.description ?? "",
      amount: moved,
      dueAmount: qr?.transfer.amount ?? null,
    });
    return c.json({ transfer: describe(made) });
  });

  app.route("/_sim", simulatorControlRoutes(control));

  app.get("/recon", async (c) => {
    const refused = await misbehavingApi(c, behaviours.for(null).api);
    if (refused) return refused;
    const date = c.req.query("date") ?? "";
    const businessDate = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
    if (!/^\d{8}$/.test(date) || parseBankTime(`${businessDate} 00:00:00`) === null)
      return c.text("date must be a calendar day as yyyyMMdd", 400);
    const rows: ReconRow[] = transfers
      .filter((t) => vietnamBusinessDate(t.at) === businessDate)
      .map((t) => ({
        txnType: "PAYMENT",
        // The bank knows nothing of PayGov: merchant_ref is what the description carried, if anything.
        merchantRef: t.reference ?? "",
        providerTxnId: t.transactionId,
        originalProviderTxnId: "",
        amount: t.amount,
        fee: 0,
        currency: "VND",
        createdAt: t.at,
        completedAt: t.at,
        channel: PAYER_BANK_BIN,
        status: "SUCCESS",
        // A statement line is a credit or a debit; every line here is a credit.
        providerStatusCode: "C",
        payerMasked: "",
        dossierCode: "",
      }));
    return c.body(
      writeReconFile({
        provider: "VIETQR",
        merchantId: merchant.accountNo,
        businessDate,
        generatedAt: options.now(),
        rows,
      }),
      200,
      {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="VIETQR_${merchant.accountNo}_${date}.csv"`,
      },
    );
  });

  return app;
};
