import { describe, expect, it } from "vitest";
import {
  type AdjustmentEntry,
  accountKind,
  allocateRefund,
  businessDayBounds,
  composeSettlement,
  type SettlementEntry,
  shareProRata,
} from "./settlement.ts";

const total = (shares: ReadonlyArray<{ amount: number }>) => shares.reduce((t, s) => t + s.amount, 0);

describe("shareProRata", () => {
  it("rounds each share down to the đồng and puts the remainder on the largest line", () => {
    // 10 001 over 200 000 and 5 000: 9 757.07… and 243.9… → 9 757 + 1 and 243.
    expect(
      shareProRata(
        [
          { index: 0, amount: 200_000 },
          { index: 1, amount: 5_000 },
        ],
        10_001,
      ),
    ).toEqual([
      { index: 0, amount: 9_758 },
      { index: 1, amount: 243 },
    ]);
  });

  it("breaks a tie for the largest line by the lower index", () => {
    expect(
      shareProRata(
        [
          { index: 0, amount: 100 },
          { index: 1, amount: 100 },
          { index: 2, amount: 100 },
        ],
        100,
      ),
    ).toEqual([
      { index: 0, amount: 34 },
      { index: 1, amount: 33 },
      { index: 2, amount: 33 },
    ]);
  });

  it("spills the remainder onto the next largest line when the largest has too little left", () => {
    // Shares of 2 over 1+1+1 all round to 0; the largest line can take only 1 of the remaining 2.
    const shares = shareProRata(
      [
        { index: 0, amount: 1 },
        { index: 1, amount: 1 },
        { index: 2, amount: 1 },
      ],
      2,
    );
    expect(shares).toEqual([
      { index: 0, amount: 1 },
      { index: 1, amount: 1 },
    ]);
  });

  it("returns every line whole for the full amount, and nothing for zero", () => {
    const lines = [
      { index: 0, amount: 50_000 },
      { index: 1, amount: 100_000 },
    ];
    expect(shareProRata(lines, 150_000)).toEqual(lines);
    expect(shareProRata(lines, 0)).toEqual([]);
  });

  it("stays exact beyond 2^53 intermediate products", () => {
    const lines = [
      { index: 0, amount: 99_999_999_998 },
      { index: 1, amount: 1 },
    ];
    const shares = shareProRata(lines, 99_999_999_999);
    expect(total(shares)).toBe(99_999_999_999);
    expect(shares).toEqual(lines);
  });

  it("refuses to share more than the lines have left", () => {
    expect(() => shareProRata([{ index: 0, amount: 10 }], 11)).toThrow(RangeError);
  });

  it("always adds up to the amount and never exceeds a line (property check)", () => {
    let seed = 20_261_204;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    for (let round = 0; round < 500; round++) {
      const lines = Array.from({ length: 1 + next(6) }, (_, index) => ({ index, amount: next(500_000) }));
      const amount = next(total(lines) + 1);
      const shares = shareProRata(lines, amount);
      expect(total(shares), `round ${round}`).toBe(amount);
      for (const s of shares) expect(s.amount).toBeLessThanOrEqual(lines[s.index]!.amount);
    }
  });
});

describe("allocateRefund", () => {
  const lines = [
    { index: 0, amount: 50_000 },
    { index: 1, amount: 100_000 },
  ];

  it("returns the named lines exactly", () => {
    expect(allocateRefund(lines, { amount: 30_000, lines: [{ index: 0, amount: 30_000 }] })).toEqual([
      { index: 0, amount: 30_000 },
    ]);
  });

  it("shares a partial refund without lines pro rata", () => {
    expect(allocateRefund(lines, { amount: 10_000, lines: null })).toEqual([
      { index: 0, amount: 3_333 },
      { index: 1, amount: 6_667 },
    ]);
  });

  it("returns every line whole for a full refund without lines", () => {
    expect(allocateRefund(lines, { amount: 150_000, lines: null })).toEqual(lines);
  });

  it("shares what a named line no longer has over the other lines", () => {
    // Line 0 has 10 000 left after an earlier refund; the refund names 30 000 of it.
    const left = [
      { index: 0, amount: 10_000 },
      { index: 1, amount: 100_000 },
    ];
    expect(allocateRefund(left, { amount: 30_000, lines: [{ index: 0, amount: 30_000 }] })).toEqual([
      { index: 0, amount: 10_000 },
      { index: 1, amount: 20_000 },
    ]);
  });
});

const entry = (over: Partial<SettlementEntry> & { amount: number }): SettlementEntry => ({
  paymentId: "p1",
  lineIndex: 0,
  refundId: null,
  treasury: "0011",
  account: "7111",
  agency: "000.00.99.H99",
  chapter: "999",
  sub_item: "2752",
  area: "00001",
  revenue_authority: "1054367",
  ...over,
});

const adjustment = (
  over: Partial<AdjustmentEntry> & { amount: number; refundId: string },
): AdjustmentEntry => ({
  ...entry(over),
  refundId: over.refundId,
  settledIn: over.settledIn ?? "s0",
});

describe("composeSettlement", () => {
  it("sums the day by beneficiary and budget code, to the đồng", () => {
    const { statement } = composeSettlement(
      [
        entry({ paymentId: "p1", amount: 200_000 }),
        entry({ paymentId: "p2", amount: 200_000 }),
        entry({ paymentId: "p2", refundId: "r1", amount: -5_000 }),
        entry({ paymentId: "p3", sub_item: "2764", amount: 5_000 }),
        entry({ paymentId: "p3", lineIndex: 1, treasury: "1769", amount: 20_000 }),
      ],
      [],
    );
    expect(statement).toEqual({
      beneficiaries: [
        {
          treasury: "0011",
          account: "7111",
          agency: "000.00.99.H99",
          lines: [
            {
              chapter: "999",
              sub_item: "2752",
              area: "00001",
              revenue_authority: "1054367",
              amount: 395_000,
            },
            { chapter: "999", sub_item: "2764", area: "00001", revenue_authority: "1054367", amount: 5_000 },
          ],
          total: 400_000,
        },
        {
          treasury: "1769",
          account: "7111",
          agency: "000.00.99.H99",
          lines: [
            { chapter: "999", sub_item: "2752", area: "00001", revenue_authority: "1054367", amount: 20_000 },
          ],
          total: 20_000,
        },
      ],
      total: 420_000,
      payments: 3,
      adjustments: [],
    });
  });

  it("leaves out a payment refunded in full the same day", () => {
    const { statement } = composeSettlement(
      [entry({ amount: 200_000 }), entry({ refundId: "r1", amount: -200_000 })],
      [],
    );
    expect(statement.beneficiaries).toEqual([]);
    expect(statement.total).toBe(0);
  });

  it("nets a refund of an earlier-settled payment into its beneficiary's lines and lists it", () => {
    const composed = composeSettlement(
      [entry({ paymentId: "p9", amount: 200_000 })],
      [
        adjustment({ paymentId: "p1", refundId: "r1", sub_item: "2764", amount: -3_000, settledIn: "s1" }),
        adjustment({ paymentId: "p1", refundId: "r1", lineIndex: 1, amount: -7_000, settledIn: "s1" }),
      ],
    );
    expect(composed.deferred).toBe(0);
    expect(composed.entries).toHaveLength(3);
    expect(composed.statement.beneficiaries[0]!.lines.map((l) => [l.sub_item, l.amount])).toEqual([
      ["2752", 193_000],
      ["2764", -3_000],
    ]);
    expect(composed.statement.total).toBe(190_000);
    expect(composed.statement.payments).toBe(1);
    expect(composed.statement.adjustments).toEqual([
      {
        refund_id: "r1",
        payment_id: "p1",
        settled_in: "s1",
        treasury: "0011",
        account: "7111",
        agency: "000.00.99.H99",
        lines: [
          { chapter: "999", sub_item: "2752", area: "00001", revenue_authority: "1054367", amount: -7_000 },
          { chapter: "999", sub_item: "2764", area: "00001", revenue_authority: "1054367", amount: -3_000 },
        ],
        total: -10_000,
      },
    ]);
  });

  it("keeps an adjustment for a later run while its beneficiary has nothing to take it from", () => {
    const composed = composeSettlement(
      [entry({ amount: 15_000 })],
      [
        adjustment({ refundId: "r1", amount: -10_000 }),
        adjustment({ refundId: "r2", amount: -10_000 }),
        adjustment({ refundId: "r3", treasury: "1769", amount: -1_000 }),
      ],
    );
    // r1 fits (15 000 → 5 000); r2 would go below zero; the 1769 beneficiary has nothing this run.
    expect(composed.statement.adjustments.map((a) => a.refund_id)).toEqual(["r1"]);
    expect(composed.deferred).toBe(2);
    expect(composed.statement.total).toBe(5_000);
  });

  it("totals per budget code equal payments less refunds over any sequence of runs (property check)", () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return Math.floor((seed / 2_147_483_648) * n);
    };
    const codes = ["2752", "2764", "2861"];
    const expected = new Map<string, number>();
    const settled = new Map<string, number>();
    let waiting: AdjustmentEntry[] = [];
    for (let run = 0; run < 30; run++) {
      const day: SettlementEntry[] = [];
      for (let p = 0; p < 3; p++) {
        const paymentId = `p${run}-${p}`;
        const lines = Array.from({ length: 1 + next(3) }, (_, index) => ({
          index,
          amount: 1_000 * (1 + next(300)),
          code: codes[next(codes.length)]!,
        }));
        for (const l of lines) {
          day.push(entry({ paymentId, lineIndex: l.index, sub_item: l.code, amount: l.amount }));
          expected.set(l.code, (expected.get(l.code) ?? 0) + l.amount);
        }
        // Some refunds succeed before this run, some after it (adjustments for a later run).
        const refunded = allocateRefund(lines, {
          amount: next(lines.reduce((t, l) => t + l.amount, 0)),
          lines: null,
        });
        const late = next(2) === 0;
        for (const share of refunded) {
          const code = lines[share.index]!.code;
          expected.set(code, (expected.get(code) ?? 0) - share.amount);
          const e = { paymentId, lineIndex: share.index, sub_item: code, amount: -share.amount };
          if (late) waiting.push(adjustment({ ...e, refundId: `r${paymentId}`, settledIn: `s${run}` }));
          else day.push(entry({ ...e, refundId: `r${paymentId}` }));
        }
      }
      const pending = waiting.filter((w) => w.settledIn !== `s${run}`);
      const composed = composeSettlement(day, pending);
      const taken = new Set(
        composed.entries.filter((e) => e.refundId).map((e) => `${e.refundId}|${e.lineIndex}`),
      );
      waiting = waiting.filter((w) => !taken.has(`${w.refundId}|${w.lineIndex}`));
      for (const b of composed.statement.beneficiaries) {
        expect(b.total).toBeGreaterThan(0);
        for (const l of b.lines) settled.set(l.sub_item, (settled.get(l.sub_item) ?? 0) + l.amount);
      }
    }
    for (const w of waiting) settled.set(w.sub_item, (settled.get(w.sub_item) ?? 0) + w.amount);
    expect(settled).toEqual(expected);
  });
});

describe("accountKind", () => {
  it("tells the budget revenue account from the temporary-collection one", () => {
    expect(accountKind("7111")).toBe("thu_nsnn");
    expect(accountKind("3511.0.1004872.00000")).toBe("tam_thu");
    expect(accountKind("3713")).toBe("other");
  });
});

describe("businessDayBounds", () => {
  it("spans a Vietnam calendar day, whatever the server's zone", () => {
    const { from, to } = businessDayBounds("2026-12-04");
    expect(from.toISOString()).toBe("2026-12-03T17:00:00.000Z");
    expect(to.toISOString()).toBe("2026-12-04T17:00:00.000Z");
  });
});
