import { Option, Redacted } from "effect";
import { hashApiKey } from "../api/middleware/auth.ts";
import type { AppConfig } from "../config/app-config.ts";
import { upsertAgency } from "../db/agencies.ts";
import type { Db } from "../db/client.ts";
import { setAgencySettlementIdentity } from "../db/settlement.ts";

/** The sandbox agency's fixed identity: a test collecting body with example budget codes. */
export const SANDBOX_AGENCY = {
  id: "sandbox",
  code: "000.00.99.H99",
  name: "Đơn vị thử nghiệm PayGov (sandbox)",
  // Printed on its e-receipts; ten zeros, so that no sandbox receipt can pass for a real organisation's.
  taxId: "0000000000",
  // Published example codes (reference/paygov-domain.md §5.2, data/fees-reference.json): Hà Nội treasury
  // office 0011, budget revenue account 7111. Real agencies register their own.
  budgetDefaults: {
    chapter: "999",
    area: "00001",
    revenue_authority: "1054367",
    treasury: "0011",
    account: "7111",
  },
} as const;

/** The payer side of its treasury documents (C1-02/NS): an example budget-unit code (ĐVQHNS) and address. */
export const SANDBOX_SETTLEMENT_IDENTITY = { dvqhnsCode: "1099999", address: "Hà Nội (đơn vị thử nghiệm)" };

/** Registers (or updates) the sandbox agency from PAYGOV_SANDBOX_* so `make dev` works out of the box. */
export const registerSandboxAgency = async (sql: Db, config: AppConfig): Promise<boolean> => {
  if (Option.isNone(config.sandbox.apiKey)) return false;
  await upsertAgency(sql, {
    ...SANDBOX_AGENCY,
    apiKeyHash: hashApiKey(Redacted.value(config.sandbox.apiKey.value)),
    webhookUrl: Option.getOrNull(config.sandbox.webhookUrl),
    webhookSecret: Option.match(config.sandbox.webhookSecret, { onNone: () => null, onSome: Redacted.value }),
    returnOrigins: config.sandbox.returnOrigins,
  });
  await setAgencySettlementIdentity(sql, SANDBOX_AGENCY.id, SANDBOX_SETTLEMENT_IDENTITY);
  return true;
};
