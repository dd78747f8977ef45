import type { Context } from "hono";
import { Hono } from "hono";

/**
 * How a simulator misbehaves, globally or for one reference: the vocabulary every simulator
 * understands, so that tests and the conformance kit drive them all the same way.
 */
export interface SimBehaviour {
  /** The server-to-server callback: as is, never, twice at once, after `delayMs`, or after the browser return. */
  readonly callback: "normal" | "drop" | "duplicate" | "delay" | "reorder";
  readonly delayMs: number;
  /** The callback reports another amount, correctly signed: only PayGov's amount check can catch it. */
  readonly tamperAmount: boolean;
  /** The callback is signed with a wrong key. */
  readonly tamperSignature: boolean;
  /** The intermediary's server API for queries and refunds: as is, 503, or no answer past any timeout. */
  readonly api: "normal" | "unavailable" | "hang";
  /** The API that creates a payment (where the protocol has one): as is, 503, or no answer. */
  readonly initiate: "normal" | "unavailable" | "hang";
  readonly refund: "accept" | "refuse";
  /** Opening the payment page pays at once with this outcome (headless runs, benchmarks). */
  readonly autoPay: "success" | "failure" | "cancel" | null;
}

export const DEFAULT_SIM_BEHAVIOUR: SimBehaviour = {
  callback: "normal",
  delayMs: 1000,
  tamperAmount: false,
  tamperSignature: false,
  api: "normal",
  initiate: "normal",
  refund: "accept",
  autoPay: null,
};

/**
 * Magic amounts, as GOV.UK Pay has magic card numbers: a tester who creates a payment of one of these
 * amounts gets the misbehaviour without calling the control API. Real fees never end in ...0xx this way.
 */
export const MAGIC_AMOUNTS: Readonly<
  Record<number, { readonly behaviour: Partial<SimBehaviour>; readonly meaning: string }>
> = {
  10001: {
    behaviour: { callback: "drop" },
    meaning: "the callback never comes: PayGov must find the payment by query",
  },
  10002: { behaviour: { callback: "duplicate" }, meaning: "the callback comes twice at once" },
  10003: { behaviour: { callback: "delay", delayMs: 5000 }, meaning: "the callback comes 5 s late" },
  10004: { behaviour: { callback: "reorder" }, meaning: "the browser returns before the callback is sent" },
  10005: {
    behaviour: { tamperAmount: true },
    meaning: "the callback reports another amount, validly signed",
  },
  10006: { behaviour: { tamperSignature: true }, meaning: "the callback is signed with a wrong key" },
  10007: { behaviour: { api: "unavailable" }, meaning: "queries and refunds answer HTTP 503" },
  10008: { behaviour: { api: "hang" }, meaning: "queries and refunds never answer" },
  10009: {
    behaviour: { initiate: "unavailable" },
    meaning: "creating the payment at the intermediary answers 503",
  },
  10010: {
    behaviour: { initiate: "hang" },
    meaning: "creating the payment at the intermediary never answers",
  },
  10011: { behaviour: { refund: "refuse" }, meaning: "refunds are refused" },
};

/** Behaviour per reference, with a global default; magic amounts apply under explicit settings. */
export class BehaviourStore {
  #global: SimBehaviour = DEFAULT_SIM_BEHAVIOUR;
  readonly #byReference = new Map<string, Partial<SimBehaviour>>();

  set(reference: string | null, behaviour: Partial<SimBehaviour>): void {
    if (reference === null) this.#global = { ...this.#global, ...behaviour };
    else this.#byReference.set(reference, { ...this.#byReference.get(reference), ...behaviour });
  }

  reset(): void {
    this.#global = DEFAULT_SIM_BEHAVIOUR;
    this.#byReference.clear();
  }

  /** What applies to one reference: global, then the magic amount's, then the reference's own. */
  for(reference: string | null, amount?: number): SimBehaviour {
    const magic = amount === undefined ? undefined : MAGIC_AMOUNTS[amount]?.behaviour;
    return { ...this.#global, ...magic, ...(reference === null ? {} : this.#byReference.get(reference)) };
  }
}

const CALLBACK = new Set(["normal", "drop", "duplicate", "delay", "reorder"]);
const API = new Set(["normal", "unavailable", "hang"]);
const OUTCOMES = new Set(["success", "failure", "cancel"]);

/** Reads a behaviour patch from JSON, refusing what it does not know (a typo must not pass silently). */
export const parseBehaviour = (
  body: unknown,
):
  | { ok: true; reference: string | null; behaviour: Partial<SimBehaviour> }
  | { ok: false; error: string } => {
  if (typeof body !== "object" || body === null) return { ok: false, error: "expected a JSON object" };
  const b = body as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(b)) {
    const valid =
      (key === "reference" && (typeof value === "string" || value === null)) ||
      (key === "callback" && CALLBACK.has(value as string)) ||
      ((key === "api" || key === "initiate") && API.has(value as string)) ||
      (key === "delayMs" &&
        Number.isInteger(value) &&
        (value as number) >= 0 &&
        (value as number) <= 600_000) ||
      ((key === "tamperAmount" || key === "tamperSignature") && typeof value === "boolean") ||
      (key === "refund" && (value === "accept" || value === "refuse")) ||
      (key === "autoPay" && (value === null || OUTCOMES.has(value as string)));
    if (!valid)
      return { ok: false, error: `bad or unknown behaviour field "${key}": ${JSON.stringify(value)}` };
    if (key !== "reference") out[key] = value;
  }
  return {
    ok: true,
    reference: (b.reference as string | undefined) ?? null,
    behaviour: out as Partial<SimBehaviour>,
  };
};

/** A server-to-server request a simulator sent (or would send), kept for replay and forgery tests. */
export interface CapturedCallback {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One delivery of a callback and how PayGov answered it. */
export interface CallbackDelivery {
  readonly at: Date;
  readonly status: number | null;
  readonly body: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref?.());

/**
 * Sends a callback the way the behaviour says, retrying (a few times, quickly) until the
 * protocol's "received" answer comes back, as intermediaries do. Never throws.
 */
export const sendCallback = async (
  fetchImpl: typeof globalThis.fetch,
  callback: CapturedCallback,
  behaviour: SimBehaviour,
  acknowledged: (status: number, body: string) => boolean,
  record: (delivery: CallbackDelivery) => void,
  now: () => Date,
): Promise<void> => {
  if (behaviour.callback === "drop") return;
  if (behaviour.callback === "delay" || behaviour.callback === "reorder") await sleep(behaviour.delayMs);
  const once = async (): Promise<boolean> => {
    try {
      const response = await fetchImpl(callback.url, {
        method: callback.method,
        headers: callback.headers,
        ...(callback.method === "POST" ? { body: callback.body } : {}),
        signal: AbortSignal.timeout(15_000),
      });
      const body = await response.text();
      record({ at: now(), status: response.status, body });
      return acknowledged(response.status, body);
    } catch {
      record({ at: now(), status: null, body: null });
      return false;
    }
  };
  const deliver = async () => {
    for (const backoff of [0, 100, 200, 400]) {
      if (backoff > 0) await sleep(backoff);
      if (await once()) return;
    }
  };
  if (behaviour.callback === "duplicate") await Promise.all([deliver(), deliver()]);
  else await deliver();
};

/** Answers like a server that is down, or like one that never answers (the client's timeout fires). */
export const misbehavingApi = async (c: Context, mode: SimBehaviour["api"]): Promise<Response | null> => {
  if (mode === "unavailable") return c.text("Service Unavailable", 503);
  if (mode === "hang") {
    await sleep(60_000);
    return c.text("Gateway Timeout", 504);
  }
  return null;
};

/** What each simulator lends the shared control API. */
export interface SimulatorControl {
  readonly behaviours: BehaviourStore;
  /** Completes a payment opened at the simulator as the citizen would, with an outcome; returns the browser's next URL. */
  pay(
    reference: string,
    outcome: "success" | "failure" | "cancel",
  ): Promise<{ ok: true; returnUrl: string | null } | { ok: false; status: 404 | 409; error: string }>;
  /** Everything the simulator has on record, for inspection. */
  transactions(): unknown[];
  /** The last server-to-server callback for a reference. */
  lastCallback(reference: string): CapturedCallback | null;
  /** Sends that callback again (duplicates, late callbacks). */
  resend(reference: string): Promise<CallbackDelivery[] | null>;
}

/**
 * The control API every simulator mounts under /_sim: behaviour, pay, transactions, callbacks.
 * Tests and the conformance kit use only this.
 */
export const simulatorControlRoutes = (control: SimulatorControl): Hono => {
  const app = new Hono();
  const json = async (c: Context): Promise<unknown> => c.req.json().catch(() => null);

  app.post("/behaviour", async (c) => {
    const parsed = parseBehaviour(await json(c));
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    control.behaviours.set(parsed.reference, parsed.behaviour);
    return c.json({ behaviour: control.behaviours.for(parsed.reference) });
  });
  app.delete("/behaviour", (c) => {
    control.behaviours.reset();
    return c.body(null, 204);
  });
  app.post("/pay", async (c) => {
    const body = (await json(c)) as { reference?: unknown; outcome?: unknown } | null;
    if (typeof body?.reference !== "string" || !OUTCOMES.has(body.outcome as string)) {
      return c.json(
        { error: 'expected {"reference": string, "outcome": "success"|"failure"|"cancel"}' },
        400,
      );
    }
    const result = await control.pay(body.reference, body.outcome as "success" | "failure" | "cancel");
    return result.ok
      ? c.json({ returnUrl: result.returnUrl })
      : c.json({ error: result.error }, result.status);
  });
  app.get("/transactions", (c) => c.json({ transactions: control.transactions() }));
  app.get("/callbacks/:reference", (c) => {
    const captured = control.lastCallback(c.req.param("reference"));
    return captured ? c.json(captured) : c.json({ error: "no callback for this reference" }, 404);
  });
  app.post("/callbacks/:reference/resend", async (c) => {
    const deliveries = await control.resend(c.req.param("reference"));
    return deliveries ? c.json({ deliveries }) : c.json({ error: "no callback for this reference" }, 404);
  });
  return app;
};
