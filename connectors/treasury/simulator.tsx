/**
 * A sandbox that plays the State Treasury (Kho bạc Nhà nước), mounted by the sandbox server at /treasury:
 *   POST /documents        receives signed treasury payment documents (C1-02/NS), accepts or refuses each
 *   POST /credit-advices   the credit advices (giấy báo Có) issued so far for some reference numbers
 *   GET  /                 a page listing what it received and credited
 *   /_sim/behaviour, /_sim/reset, /_sim/documents   the control API for tests
 * A document it accepts is credited `adviceDelayMs` later, in full unless told to credit another amount.
 * It checks every signature, and signs every answer, with the shared secret.
 */

import { Schema } from "effect";
import { Hono } from "hono";
import { raw } from "hono/html";
import { formatVietnamIso, vietnamBusinessDate } from "../../domain/vietnam-time.ts";
import {
  AskCreditAdvices,
  type CreditAdvice,
  type DocumentResult,
  documentProblem,
  REQUEST_SIGNATURE_HEADER,
  RESPONSE_SIGNATURE_HEADER,
  SubmitDocuments,
  signTreasuryBody,
  type TreasuryDocument,
  verifyTreasuryBody,
} from "./protocol.ts";

/** How the simulated treasury behaves; tests change it through /_sim/behaviour. */
export interface TreasuryBehaviour {
  /** How long after accepting a document its credit advice is issued. */
  readonly adviceDelayMs: number;
  /** Credits this much more (or less) than the document says: a discrepancy PayGov must not confirm. */
  readonly adviceAmountDelta: number;
  /** Refuses every document with this reason (null: accepts valid ones). */
  readonly refuse: string | null;
  /** Answers HTTP 503 to everything. */
  readonly unavailable: boolean;
}

const DEFAULT_BEHAVIOUR: TreasuryBehaviour = {
  adviceDelayMs: 1500,
  adviceAmountDelta: 0,
  refuse: null,
  unavailable: false,
};

interface Received {
  readonly document: TreasuryDocument;
  readonly body: string;
  readonly result: DocumentResult;
  readonly creditAt: number;
  readonly creditAmount: number;
  advice: CreditAdvice | null;
}

const Behaviour = Schema.Struct({
  advice_delay_ms: Schema.optionalKey(Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0))),
  advice_amount_delta: Schema.optionalKey(Schema.Number.check(Schema.isInt())),
  refuse: Schema.optionalKey(Schema.NullOr(Schema.String)),
  unavailable: Schema.optionalKey(Schema.Boolean),
});

export interface TreasurySimulatorOptions {
  readonly secret: string;
  readonly now?: () => Date;
}

/** The simulated State Treasury as a Hono app. */
export const treasurySimulator = (options: TreasurySimulatorOptions) => {
  const app = new Hono();
  const now = options.now ?? (() => new Date());
  const seconds = () => Math.floor(now().getTime() / 1000);
  let behaviour = DEFAULT_BEHAVIOUR;
  const received = new Map<string, Received>();
  let sequence = 0;

  const signed = (payload: unknown, status: 200 | 400 | 401 = 200) => {
    const body = JSON.stringify(payload);
    return new Response(body, {
      status,
      headers: {
        "content-type": "application/json",
        [RESPONSE_SIGNATURE_HEADER]: signTreasuryBody(options.secret, body, seconds()),
      },
    });
  };

  /** The body of a signed request, or the answer that refuses it. */
  const readSigned = async <A,>(
    request: Request,
    schema: Schema.Codec<A, unknown>,
  ): Promise<{ ok: true; value: A } | { ok: false; answer: Response }> => {
    const body = await request.text();
    if (
      !verifyTreasuryBody(
        options.secret,
        request.headers.get(REQUEST_SIGNATURE_HEADER) ?? "",
        body,
        seconds(),
      )
    ) {
      return { ok: false, answer: signed({ error: "signature_invalid" }, 401) };
    }
    const decoded = Schema.decodeUnknownExit(Schema.fromJsonString(schema))(body);
    if (decoded._tag === "Failure") return { ok: false, answer: signed({ error: "malformed_request" }, 400) };
    return { ok: true, value: decoded.value };
  };

  // Credit advices are issued lazily: whoever asks after a document's time has come finds it credited.
  const issueDue = () => {
    for (const r of received.values()) {
      if (r.advice !== null || r.result.status !== "accepted" || r.creditAt > now().getTime()) continue;
      sequence += 1;
      const creditedAt = new Date(r.creditAt);
      r.advice = {
        advice_no: `GBC${vietnamBusinessDate(creditedAt).replaceAll("-", "")}${String(sequence).padStart(6, "0")}`,
        reference_no: r.document.reference_no,
        document_no: r.document.document_no,
        amount: r.creditAmount,
        treasury: r.document.treasury.code,
        account: r.document.account.number,
        value_date: vietnamBusinessDate(creditedAt),
        credited_at: formatVietnamIso(creditedAt),
      };
    }
  };

  app.use("*", async (c, next) => {
    if (behaviour.unavailable && !c.req.path.includes("/_sim/")) return c.text("Service Unavailable", 503);
    return next();
  });

  app.post("/documents", async (c) => {
    const read = await readSigned(c.req.raw, SubmitDocuments);
    if (!read.ok) return read.answer;
    const results = read.value.documents.map((document): DocumentResult => {
      const body = JSON.stringify(document);
      const earlier = received.get(document.reference_no);
      // The same document again gets the same answer; another one under a used reference is refused.
      if (earlier) {
        return earlier.body === body
          ? earlier.result
          : { reference_no: document.reference_no, status: "refused", reason: "reference_no already used" };
      }
      const problem = behaviour.refuse ?? documentProblem(document);
      const acceptedAt = now();
      const result: DocumentResult =
        problem !== null
          ? { reference_no: document.reference_no, status: "refused", reason: problem }
          : {
              reference_no: document.reference_no,
              status: "accepted",
              receipt_no: `KB${document.treasury.code}-${String(received.size + 1).padStart(7, "0")}`,
              accepted_at: formatVietnamIso(acceptedAt),
            };
      // A refused document is not kept: once corrected, it may be sent again under its reference.
      if (result.status === "accepted") {
        received.set(document.reference_no, {
          document,
          body,
          result,
          creditAt: acceptedAt.getTime() + behaviour.adviceDelayMs,
          creditAmount: document.total + behaviour.adviceAmountDelta,
          advice: null,
        });
      }
      return result;
    });
    return signed({ results });
  });

  app.post("/credit-advices", async (c) => {
    const read = await readSigned(c.req.raw, AskCreditAdvices);
    if (!read.ok) return read.answer;
    issueDue();
    const advices = read.value.references.flatMap((ref) => {
      const advice = received.get(ref)?.advice;
      return advice ? [advice] : [];
    });
    return signed({ advices });
  });

  app.post("/_sim/behaviour", async (c) => {
    const decoded = Schema.decodeUnknownExit(Behaviour)(await c.req.json().catch(() => null));
    if (decoded._tag === "Failure") return c.json({ error: "malformed_behaviour" }, 400);
    const b = decoded.value;
    behaviour = {
      adviceDelayMs: b.advice_delay_ms ?? behaviour.adviceDelayMs,
      adviceAmountDelta: b.advice_amount_delta ?? behaviour.adviceAmountDelta,
      refuse: b.refuse === undefined ? behaviour.refuse : b.refuse,
      unavailable: b.unavailable ?? behaviour.unavailable,
    };
    return c.json({ behaviour });
  });

  app.post("/_sim/reset", (c) => {
    behaviour = DEFAULT_BEHAVIOUR;
    received.clear();
    return c.json({ ok: true });
  });

  app.get("/_sim/documents", (c) => {
    issueDue();
    return c.json({
      documents: [...received.values()].map((r) => ({
        document: r.document,
        result: r.result,
        advice: r.advice,
      })),
    });
  });

  app.get("/", (c) => {
    issueDue();
    const rows = [...received.values()].reverse();
    return c.html(
      <>
        {raw("<!DOCTYPE html>")}
        <html lang="vi">
          <head>
            <meta charset="utf-8" />
            <title>Kho bạc Nhà nước (mô phỏng)</title>
          </head>
          <body>
            <h1>Kho bạc Nhà nước — hệ thống mô phỏng của PayGov</h1>
            <p>State Treasury — PayGov's sandbox. Giấy nộp tiền đã nhận và giấy báo Có đã phát hành.</p>
            <table>
              <thead>
                <tr>
                  <th>Số tham chiếu</th>
                  <th>Người nộp</th>
                  <th>KBNN</th>
                  <th>Tài khoản</th>
                  <th>Số tiền (VND)</th>
                  <th>Số tiếp nhận</th>
                  <th>Giấy báo Có</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr>
                    <td>{r.document.reference_no}</td>
                    <td>{r.document.payer.name}</td>
                    <td>{r.document.treasury.code}</td>
                    <td>{r.document.account.number}</td>
                    <td>{r.document.total.toLocaleString("vi-VN")}</td>
                    <td>{r.result.status === "accepted" ? r.result.receipt_no : r.result.reason}</td>
                    <td>
                      {r.advice
                        ? `${r.advice.advice_no}: ${r.advice.amount.toLocaleString("vi-VN")} ngày ${r.advice.value_date}`
                        : "chờ ghi Có"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </body>
        </html>
      </>,
    );
  });

  return app;
};
