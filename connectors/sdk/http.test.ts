import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import type { ConnectorRuntime } from "./contract.ts";
import type { ConnectorError } from "./errors.ts";
import { callApi, classifyFetchError, fetchDocument, reconciliationFileUrl } from "./http.ts";

const runtimeWith = (fetch: (url: URL, init?: RequestInit) => Promise<Response>): ConnectorRuntime => ({
  fetch: fetch as typeof globalThis.fetch,
  now: () => new Date(),
  serverIp: "127.0.0.1",
  requestTimeoutMs: 50,
});

/** A fetch failure as undici reports it: a TypeError whose cause carries the system code. */
const networkError = (code: string) =>
  Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error(code), { code }) });

const timeoutError = () => new DOMException("The operation was aborted due to timeout", "TimeoutError");

/** A 200 whose body breaks off after the first chunk. */
const cutOff = () =>
  new Response(
    new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"partial":'));
        controller.error(new Error("socket hang up"));
      },
    }),
  );

const failure = async (effect: Effect.Effect<unknown, ConnectorError>) => {
  const exit = await Effect.runPromiseExit(effect.pipe(Effect.flip));
  if (exit._tag !== "Success") throw new Error("expected a ConnectorError");
  return { tag: exit.value._tag, message: exit.value.message };
};

const url = new URL("http://intermediary.test/api");

describe("classifyFetchError", () => {
  const classify = classifyFetchError("VNPay");
  it.each([
    "ECONNREFUSED",
    "ENOTFOUND",
    "EAI_AGAIN",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "UND_ERR_CONNECT_TIMEOUT",
  ])("counts %s as not sent: Unavailable", (code) => {
    expect(classify(networkError(code))).toMatchObject({
      _tag: "Unavailable",
      message: `VNPay could not be reached (${code})`,
    });
  });

  it("counts a timeout, a reset or anything else as possibly acted on: OutcomeUnknown", () => {
    expect(classify(timeoutError())).toMatchObject({
      _tag: "OutcomeUnknown",
      message: "VNPay did not answer in time",
    });
    for (const error of [networkError("ECONNRESET"), new Error("?"), "not an error"])
      expect(classify(error)).toMatchObject({
        _tag: "OutcomeUnknown",
        message: "the connection to VNPay failed after the request was sent",
      });
  });
});

describe("callApi", () => {
  const call = (fetch: () => Promise<Response>, what?: string) =>
    callApi(runtimeWith(fetch), url, { method: "POST" }, { party: "OnePay", what });

  it("returns the answer's text, sent with the request's own init and a timeout signal", async () => {
    let seen: RequestInit | undefined;
    const text = await Effect.runPromise(
      callApi(
        runtimeWith(async (_url, init) => {
          seen = init;
          return new Response("ok");
        }),
        url,
        { method: "POST", body: "a=1" },
        { party: "OnePay" },
      ),
    );
    expect(text).toBe("ok");
    expect(seen).toMatchObject({ method: "POST", body: "a=1" });
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
  });

  it("maps 5xx to Unavailable and other error statuses to InvalidRequest, naming what was asked", async () => {
    expect(await failure(call(async () => new Response("", { status: 503 }), "queryDR"))).toEqual({
      tag: "Unavailable",
      message: "queryDR: OnePay answered HTTP 503",
    });
    expect(await failure(call(async () => new Response("", { status: 403 })))).toEqual({
      tag: "InvalidRequest",
      message: "OnePay answered HTTP 403",
    });
  });

  it("counts an answer cut off as OutcomeUnknown", async () => {
    expect(await failure(call(async () => cutOff()))).toEqual({
      tag: "OutcomeUnknown",
      message: "OnePay's answer was cut off",
    });
  });

  it("gives up after runtime.requestTimeoutMs: OutcomeUnknown", async () => {
    const hang = (_url: URL, init?: RequestInit) =>
      new Promise<Response>((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
      );
    expect(await failure(callApi(runtimeWith(hang), url, {}, { party: "MoMo" }))).toEqual({
      tag: "OutcomeUnknown",
      message: "MoMo did not answer in time",
    });
  });

  it("lets the caller word a failed fetch", async () => {
    const effect = callApi(
      runtimeWith(() => Promise.reject(timeoutError())),
      url,
      {},
      { party: "OnePay", onFetchError: () => classifyFetchError("X")(networkError("ENOTFOUND")) },
    );
    expect(await failure(effect)).toEqual({
      tag: "Unavailable",
      message: "X could not be reached (ENOTFOUND)",
    });
  });
});

describe("fetchDocument", () => {
  const get = (fetch: () => Promise<Response>) =>
    fetchDocument(runtimeWith(fetch), url, { name: "the file", unreachable: () => "could not fetch" });

  it("returns the document", async () => {
    expect(await Effect.runPromise(get(async () => new Response("H,1\r\n")))).toBe("H,1\r\n");
  });

  it("makes every failure Unavailable, except a refusal of the request", async () => {
    expect(await failure(get(() => Promise.reject(timeoutError())))).toEqual({
      tag: "Unavailable",
      message: "could not fetch",
    });
    expect(await failure(get(async () => cutOff()))).toEqual({
      tag: "Unavailable",
      message: "the file was cut off",
    });
    expect(await failure(get(async () => new Response("", { status: 502 })))).toEqual({
      tag: "Unavailable",
      message: "the file: HTTP 502",
    });
    expect(await failure(get(async () => new Response("", { status: 404 })))).toEqual({
      tag: "InvalidRequest",
      message: "the file: HTTP 404",
    });
  });
});

describe("reconciliationFileUrl", () => {
  it("asks for the day as ?date=yyyyMMdd, keeping the URL's own parameters", async () => {
    const built = await Effect.runPromise(
      reconciliationFileUrl(new URL("http://127.0.0.1:3001/vnpay/recon?merchant=A"), "2026-12-03"),
    );
    expect(built.href).toBe("http://127.0.0.1:3001/vnpay/recon?merchant=A&date=20261203");
  });

  it("refuses a date that is not yyyy-MM-dd", async () => {
    expect(await failure(reconciliationFileUrl(url, "20261203"))).toEqual({
      tag: "InvalidRequest",
      message: "the business date must be yyyy-MM-dd",
    });
  });
});
