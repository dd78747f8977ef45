// Settlement (quyết toán) rules, pure: how a refund splits over a payment's fee lines, and how the
// amounts of a run are summed into a statement by beneficiary and budget code.

/** An amount on one fee line of a payment (its `index` in the payment's lines). */
export interface LineShare {
  readonly index: number;
  readonly amount: number;
}

const sum = (items: ReadonlyArray<{ readonly amount: number }>): number =>
  items.reduce((total, item) => total + item.amount, 0);

/**
 * Shares `amount` over the lines in proportion to what each has left, rounded down to the đồng; the
 * đồng left over by rounding go to the largest line (and, should it have too little left, to the next
 * largest). Never puts more on a line than it has left.
 */
export const shareProRata = (left: ReadonlyArray<LineShare>, amount: number): LineShare[] => {
  const total = sum(left);
  if (!Number.isSafeInteger(amount) || amount < 0 || amount > total) {
    throw new RangeError(`cannot share ${amount} đồng over lines that have ${total} left`);
  }
  if (amount === 0) return [];
  // BigInt: amount × line can pass 2^53 for large payments.
  const shares = left.map((line) => ({
    index: line.index,
    left: line.amount,
    amount: Number((BigInt(amount) * BigInt(line.amount)) / BigInt(total)),
  }));
  let rest = amount - sum(shares);
  const largestFirst = [...shares].sort((a, b) => b.left - a.left || a.index - b.index);
  for (const share of largestFirst) {
    if (rest === 0) break;
    const take = Math.min(rest, share.left - share.amount);
    share.amount += take;
    rest -= take;
  }
  return shares.filter((s) => s.amount > 0).map((s) => ({ index: s.index, amount: s.amount }));
};

/**
 * How a refund of the payment's own money splits over its fee lines, given what each line has left
 * after earlier refunds. A refund that names its lines returns those amounts; a named amount beyond
 * what the line has left (an earlier refund already took part of it) is shared pro rata over the rest.
 * A refund without lines is shared pro rata: a full one returns every line whole.
 */
export const allocateRefund = (
  left: ReadonlyArray<LineShare>,
  refund: { readonly amount: number; readonly lines: ReadonlyArray<LineShare> | null },
): LineShare[] => {
  const remaining = new Map(left.map((l) => [l.index, l.amount]));
  const taken = new Map<number, number>();
  let unplaced = refund.amount;
  if (refund.lines !== null) {
    for (const named of refund.lines) {
      const take = Math.min(named.amount, remaining.get(named.index) ?? 0);
      remaining.set(named.index, (remaining.get(named.index) ?? 0) - take);
      taken.set(named.index, (taken.get(named.index) ?? 0) + take);
      unplaced -= take;
    }
  }
  const rest = [...remaining].map(([index, amount]) => ({ index, amount }));
  for (const share of shareProRata(rest, unplaced)) {
    taken.set(share.index, (taken.get(share.index) ?? 0) + share.amount);
  }
  return [...taken]
    .filter(([, amount]) => amount > 0)
    .map(([index, amount]) => ({ index, amount }))
    .sort((a, b) => a.index - b.index);
};

/** Who receives the money: a treasury office, an account there, and the collecting agency (its code). */
export interface Beneficiary {
  readonly treasury: string;
  readonly account: string;
  readonly agency: string;
}

/** The budget classification a statement line sums by (Mục lục NSNN). */
export interface BudgetCode {
  readonly chapter: string;
  readonly sub_item: string;
  readonly area: string;
  readonly revenue_authority: string;
}

/**
 * One amount a settlement counts on one fee line: the line of a succeeded payment (positive), or a
 * refund's share of it (negative).
 */
export interface SettlementEntry extends Beneficiary, BudgetCode {
  readonly paymentId: string;
  readonly lineIndex: number;
  readonly refundId: string | null;
  readonly amount: number;
}

/** A refund's share of a line whose payment an earlier run settled: it comes off this run's amounts. */
export interface AdjustmentEntry extends SettlementEntry {
  readonly refundId: string;
  /** The run that settled the payment. */
  readonly settledIn: string;
}

export interface StatementLine extends BudgetCode {
  readonly amount: number;
}

/** What one beneficiary receives, by budget code: the amount of its treasury payment document. */
export interface StatementBeneficiary extends Beneficiary {
  readonly lines: ReadonlyArray<StatementLine>;
  readonly total: number;
}

/** A refund of an already settled payment, netted into this statement's lines (amounts negative). */
export interface StatementAdjustment extends Beneficiary {
  readonly refund_id: string;
  readonly payment_id: string;
  readonly settled_in: string;
  readonly lines: ReadonlyArray<StatementLine>;
  readonly total: number;
}

/** A settlement statement (bảng kê quyết toán), as the ops API shows it. */
export interface Statement {
  readonly beneficiaries: ReadonlyArray<StatementBeneficiary>;
  readonly total: number;
  /** How many payments this run settled. */
  readonly payments: number;
  readonly adjustments: ReadonlyArray<StatementAdjustment>;
}

export const beneficiaryKey = (b: Beneficiary): string => `${b.agency}|${b.treasury}|${b.account}`;
const codeKey = (c: BudgetCode): string => `${c.chapter}|${c.sub_item}|${c.area}|${c.revenue_authority}`;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Sums entries by budget code; lines that come to zero are left out. */
const linesOf = (entries: ReadonlyArray<SettlementEntry>): StatementLine[] => {
  const byCode = new Map<string, StatementLine>();
  for (const e of entries) {
    const key = codeKey(e);
    const line = byCode.get(key);
    byCode.set(key, {
      chapter: e.chapter,
      sub_item: e.sub_item,
      area: e.area,
      revenue_authority: e.revenue_authority,
      amount: (line?.amount ?? 0) + e.amount,
    });
  }
  return [...byCode.entries()]
    .filter(([, line]) => line.amount !== 0)
    .sort(([a], [b]) => compare(a, b))
    .map(([, line]) => line);
};

const groupBy = <T>(items: ReadonlyArray<T>, key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};

/** The result of composing a run: what it settles, and the statement of it. */
export interface ComposedSettlement {
  /** Every entry the run takes: the day's payments and refunds, and the adjustments it could absorb. */
  readonly entries: ReadonlyArray<SettlementEntry>;
  readonly statement: Statement;
  /** Adjustments left for a later run: their beneficiary has nothing in this one to take them from. */
  readonly deferred: number;
}

/**
 * Composes a settlement run: the day's entries (payments at their full amount, less the refunds that
 * succeeded by then) and the adjustments waiting from earlier runs, oldest first. An adjustment is
 * netted against its beneficiary's amounts only while the beneficiary's total stays above zero — a
 * treasury payment document cannot carry a negative amount — and waits for a later run otherwise.
 */
export const composeSettlement = (
  day: ReadonlyArray<SettlementEntry>,
  waiting: ReadonlyArray<AdjustmentEntry>,
): ComposedSettlement => {
  const totals = new Map<string, number>();
  for (const e of day) totals.set(beneficiaryKey(e), (totals.get(beneficiaryKey(e)) ?? 0) + e.amount);

  // One refund's shares for one beneficiary are taken or left together.
  const pieces = groupBy(waiting, (e) => `${e.refundId}|${beneficiaryKey(e)}`);
  const accepted: AdjustmentEntry[][] = [];
  let deferred = 0;
  for (const piece of pieces.values()) {
    const key = beneficiaryKey(piece[0]!);
    const after = (totals.get(key) ?? 0) + sum(piece);
    if (after > 0) {
      totals.set(key, after);
      accepted.push(piece);
    } else deferred += 1;
  }

  const entries = [...day, ...accepted.flat()];
  const beneficiaries = [...groupBy(entries, beneficiaryKey).values()]
    .map((group): StatementBeneficiary => {
      const lines = linesOf(group);
      const { treasury, account, agency } = group[0]!;
      return { treasury, account, agency, lines, total: sum(lines) };
    })
    .filter((b) => b.lines.length > 0)
    .sort((a, b) => compare(beneficiaryKey(a), beneficiaryKey(b)));
  const adjustments = accepted.map((piece): StatementAdjustment => {
    const first = piece[0]!;
    const lines = linesOf(piece);
    return {
      refund_id: first.refundId,
      payment_id: first.paymentId,
      settled_in: first.settledIn,
      treasury: first.treasury,
      account: first.account,
      agency: first.agency,
      lines,
      total: sum(lines),
    };
  });
  const payments = new Set(day.filter((e) => e.refundId === null).map((e) => e.paymentId)).size;
  return {
    entries,
    statement: {
      beneficiaries,
      total: beneficiaries.reduce((t, b) => t + b.total, 0),
      payments,
      adjustments,
    },
    deferred,
  };
};

/** The kind of treasury account a line is paid into, as C1-02/NS offers the choice. */
export const accountKind = (account: string): "thu_nsnn" | "tam_thu" | "other" =>
  account.startsWith("7111") ? "thu_nsnn" : account.startsWith("3511") ? "tam_thu" : "other";

/** The instants a Vietnam business date spans, [from, to): Vietnam keeps UTC+7 all year. */
export const businessDayBounds = (businessDate: string): { from: Date; to: Date } => {
  const from = new Date(`${businessDate}T00:00:00+07:00`);
  return { from, to: new Date(from.getTime() + 86_400_000) };
};
