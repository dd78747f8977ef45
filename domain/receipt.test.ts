import { describe, expect, it } from "vitest";
import { checkoutToken } from "./checkout-token.ts";
import {
  formatReceiptNumber,
  isSeriesLetters,
  MAX_RECEIPT_NUMBER,
  openReceiptToken,
  type ReceiptRecord,
  receiptContent,
  receiptPath,
  receiptSeries,
  receiptTitle,
  receiptToken,
  receiptYear,
} from "./receipt.ts";

describe("receipt numbers", () => {
  it("print zero-padded to 7 digits, and with their 8th digit from 10,000,000 on", () => {
    expect(formatReceiptNumber(1)).toBe("0000001");
    expect(formatReceiptNumber(50)).toBe("0000050");
    expect(formatReceiptNumber(9_999_999)).toBe("9999999");
    expect(formatReceiptNumber(10_000_000)).toBe("10000000");
    expect(formatReceiptNumber(MAX_RECEIPT_NUMBER)).toBe("99999999");
  });

  it("never have more than 8 digits, nor are 0, negative or fractional", () => {
    expect(() => formatReceiptNumber(MAX_RECEIPT_NUMBER + 1)).toThrow(RangeError);
    expect(() => formatReceiptNumber(0)).toThrow(RangeError);
    expect(() => formatReceiptNumber(-1)).toThrow(RangeError);
    expect(() => formatReceiptNumber(1.5)).toThrow(RangeError);
  });
});

describe("receipt series", () => {
  it("is the 2-digit year, T, and the agency's 2 registered letters", () => {
    expect(receiptSeries(2026, "AA")).toBe("26TAA");
    expect(receiptSeries(2030, "YX")).toBe("30TYX");
    expect(receiptSeries(2105, "AB")).toBe("05TAB");
  });

  it("takes only letters of Circular 91/2026's alphabet", () => {
    expect(isSeriesLetters("AB")).toBe(true);
    for (const bad of ["AF", "IA", "JA", "OA", "WA", "ZA", "ab", "A", "ABC", "A1", ""]) {
      expect(isSeriesLetters(bad)).toBe(false);
      expect(() => receiptSeries(2026, bad)).toThrow(RangeError);
    }
  });

  it("is numbered in the Vietnam calendar year, whatever the server's zone", () => {
    expect(receiptYear(new Date("2026-12-31T16:59:59Z"))).toBe(2026);
    expect(receiptYear(new Date("2026-12-31T17:00:00Z"))).toBe(2027); // 00:00 on 1 January in Hà Nội
  });
});

describe("receipt title", () => {
  it("names what it collects", () => {
    expect(receiptTitle([{ kind: "fee" }, { kind: "charge" }]).vi).toBe("Biên lai thu phí, lệ phí");
    expect(receiptTitle([{ kind: "fee" }]).vi).toBe("Biên lai thu phí");
    expect(receiptTitle([{ kind: "charge" }, { kind: "charge" }]).vi).toBe("Biên lai thu lệ phí");
  });
});

describe("receiptContent", () => {
  const record: ReceiptRecord = {
    paymentId: "p1",
    templateSymbol: "EBL01",
    series: "26TAA",
    number: 42,
    issuedAt: new Date("2026-12-03T17:05:00Z"),
    issuerName: "Sở Tư pháp thành phố Hà Nội",
    issuerTaxId: "0100000000",
    payer: { name: "Nguyễn Văn An", id_number: "001090000001" },
    items: [
      { name: "Phí cấp Phiếu lý lịch tư pháp", kind: "fee", amount: 200_000 },
      { name: "Phiếu thứ 3 trở đi", kind: "fee", amount: 5_000 },
    ],
    total: 205_000,
    reference: "000.00.99.H99-261204-0001",
    procedureCode: null,
    description: "Lý lịch tư pháp",
    connector: "vnpay",
    providerTxnId: "14000001",
    signature: null,
  };

  it("has every field of Decree 254/2026 Art. 23(2), the issue date on Vietnam's calendar", () => {
    const c = receiptContent(record);
    expect(c).toMatchObject({
      title: { vi: "Biên lai thu phí" },
      templateSymbol: "EBL01",
      series: "26TAA",
      number: "0000042",
      issuer: { name: "Sở Tư pháp thành phố Hà Nội", taxId: "0100000000" },
      payer: { name: "Nguyễn Văn An", id_number: "001090000001" },
      total: 205_000,
      totalInWords: "Hai trăm linh năm nghìn đồng",
      issueDate: { vi: "Ngày 04 tháng 12 năm 2026", time: "00:05 (GMT+7)" },
      issueDateIso: "2026-12-04",
    });
    expect(c.items.map((i) => [i.name, i.kindName.vi, i.amount])).toEqual([
      ["Phí cấp Phiếu lý lịch tư pháp", "Phí", 200_000],
      ["Phiếu thứ 3 trở đi", "Phí", 5_000],
    ]);
  });
});

describe("receipt links", () => {
  const secret = "test-secret";

  it("open to the payment they were made for", () => {
    expect(openReceiptToken(secret, receiptToken(secret, "pay123"))).toBe("pay123");
    expect(receiptPath(secret, "pay123")).toBe(`/receipts/${receiptToken(secret, "pay123")}`);
  });

  it("do not open when altered, made with another key, or made for checkout", () => {
    const token = receiptToken(secret, "pay123");
    const flipped = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect(openReceiptToken(secret, flipped)).toBeNull();
    expect(openReceiptToken(secret, token.replace("pay123", "pay124"))).toBeNull();
    expect(openReceiptToken("other-secret", token)).toBeNull();
    expect(openReceiptToken(secret, checkoutToken(secret, "pay123"))).toBeNull();
    expect(openReceiptToken(secret, "pay123")).toBeNull();
    expect(openReceiptToken(secret, ".abc")).toBeNull();
  });
});
