import { describe, expect, it } from "vitest";
import { defaultRefOf } from "../db/reconciliation-import.ts";
import { counter } from "./counter/index.ts";
import { vnpay } from "./vnpay/index.ts";
import { zalopay } from "./zalopay/index.ts";

// What a reconciliation file's merchant_ref names on PayGov's side, per intermediary (§11).
describe("reading merchant_ref", () => {
  it("is our attempt reference by default, and nothing when empty (a stray transfer)", () => {
    expect(vnpay.reconciliationRef).toBeUndefined();
    expect(defaultRefOf("PG2412046QX7Z2KM4A")).toEqual({ attemptReference: "PG2412046QX7Z2KM4A" });
    expect(defaultRefOf("")).toBeNull();
  });

  it("strips ZaloPay's yymmdd_ prefix from app_trans_id", () => {
    expect(zalopay.reconciliationRef?.("241204_PG2412046QX7Z2KM4A")).toEqual({
      attemptReference: "PG2412046QX7Z2KM4A",
    });
    expect(zalopay.reconciliationRef?.("PG2412046QX7Z2KM4A")).toBeNull();
  });

  it("takes a counter chain's merchant_ref as the payment code it carried", () => {
    expect(counter.reconciliationRef?.("4539 1488 0343 6467")).toEqual({ paymentCode: "4539148803436467" });
    expect(counter.reconciliationRef?.("4539148803436468")).toBeNull();
  });
});
