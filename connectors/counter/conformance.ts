import type { CollectionDriver, ConformanceDriver, DriverContext } from "../sdk/conformance/driver.ts";
import type { CapturedCallback } from "../sdk/simulator-kit.ts";
import { type CounterAnswer, hmacSha256Hex, requestSigningString } from "./protocol.ts";

const sim = async (ctx: DriverContext, path: string, body?: unknown, method = "POST") => {
  const response = await fetch(`${ctx.sandboxUrl}/counter${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`counter simulator ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, unknown>>;
};

/** The verified answers of a call; the simulator answers 502 (and sim() throws) when none verified. */
const answersOf = (result: Record<string, unknown>): CounterAnswer[] =>
  ((result.replies ?? []) as { answer: CounterAnswer | null }[]).flatMap((r) => (r.answer ? [r.answer] : []));

const resigned = (
  callback: CapturedCallback,
  fields: Record<string, unknown>,
  secret: string,
): CapturedCallback => {
  const { signature: _old, ...unsigned } = fields;
  return {
    ...callback,
    body: JSON.stringify({ ...unsigned, signature: hmacSha256Hex(secret, requestSigningString(unsigned)) }),
  };
};

/** The counter's side of collection: each call goes through the simulator's POS to PayGov and back. */
const collection: CollectionDriver = {
  async lookup(ctx, paymentCode) {
    const answer = answersOf(await sim(ctx, "/_sim/lookup", { paymentCode }))[0];
    if (answer?.kind !== "bill") return { found: false, amount: null, payable: false };
    return { found: true, amount: answer.bill.amount, payable: answer.bill.status === "PAYABLE" };
  },
  async confirm(ctx, paymentCode, transactionId, amount) {
    const confirmed = answersOf(
      await sim(ctx, "/_sim/confirm", { paymentCode, transactionId, amount }),
    ).filter((a) => a.kind === "confirmed");
    return {
      accepted: confirmed.length > 0,
      // With the duplicate behaviour one confirm goes twice: it is a repeat only if every answer says so.
      duplicate: confirmed.length > 0 && confirmed.every((a) => a.duplicate),
    };
  },
  async reverse(ctx, paymentCode, transactionId) {
    const answers = answersOf(await sim(ctx, "/_sim/reverse", { paymentCode, transactionId }));
    return { accepted: answers.some((a) => a.kind === "reversed") };
  },
};

/** Plays the clerk and the tester against the counter simulator. */
export const counterDriver: ConformanceDriver = {
  connector: "counter",
  shape: "collection",
  env: { COUNTER_PARTNER_CODE: "CHUOI-T1", COUNTER_SECRET_KEY: "conformance-counter-secret-key-0001" },
  // The chain sends no callbacks at all: the confirmation is its own request, answered at once.
  callsBackOnFailure: false,
  initiatesByApi: false,

  async pay(ctx, attempt, outcome) {
    if (attempt.initiation.kind !== "payment_code")
      throw new Error("the counter is paid with a payment code");
    await sim(ctx, "/_sim/pay", { reference: attempt.initiation.code, outcome });
    return { returnUrl: null };
  },

  async behave(ctx, reference, behaviour) {
    await sim(ctx, "/_sim/behaviour", { ...(reference === null ? {} : { reference }), ...behaviour });
  },

  async reset(ctx) {
    await fetch(`${ctx.sandboxUrl}/counter/_sim/behaviour`, { method: "DELETE" });
  },

  // The counter's state-changing request (its last CONFIRM or REVERSE) for a payment code.
  async lastCallback(ctx, reference) {
    return (await sim(ctx, `/_sim/callbacks/${encodeURIComponent(reference)}`, undefined, "GET")) as never;
  },

  resign(ctx, callback, changes) {
    const fields = JSON.parse(callback.body) as Record<string, unknown>;
    if (changes.amount !== undefined) fields.amount = changes.amount;
    if (changes.reference !== undefined) fields.paymentCode = changes.reference;
    return resigned(callback, fields, ctx.env.COUNTER_SECRET_KEY ?? "");
  },

  forge(_ctx, callback) {
    return resigned(callback, JSON.parse(callback.body) as Record<string, unknown>, "not-the-partner-key");
  },

  collection,
};
