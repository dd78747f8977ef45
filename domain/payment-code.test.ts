import { describe, expect, it } from "vitest";
import { formatPaymentCode, isPaymentCode, newPaymentCode } from "./payment-code.ts";

describe("payment codes", () => {
  it("are 16 digits with a valid Luhn check digit", () => {
    for (let i = 0; i < 200; i++) {
      const code = newPaymentCode();
      expect(code).toMatch(/^[1-9]\d{15}$/);
      expect(isPaymentCode(code)).toBe(true);
    }
  });

  it("catch a mistyped digit and a swap of neighbours", () => {
    const code = "4539148803436467"; // a known Luhn-valid number
    expect(isPaymentCode(code)).toBe(true);
    expect(isPaymentCode(`4539148803436468`)).toBe(false);
    expect(isPaymentCode(`5439148803436467`)).toBe(false);
    expect(isPaymentCode("123")).toBe(false);
    expect(isPaymentCode("4539 1488 0343 6467")).toBe(true);
  });

  it("read in groups of four", () => {
    expect(formatPaymentCode("4539148803436467")).toBe("4539 1488 0343 6467");
  });
});
