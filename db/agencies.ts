import type { BudgetDefaults } from "../domain/create-payment.ts";
import { formatOriginPattern, type OriginPattern, parseOriginPatterns } from "../domain/origins.ts";
import type { Db } from "./client.ts";

/** An agency (cơ quan thu) that takes payments through PayGov. */
export interface Agency {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly webhookUrl: string | null;
  readonly returnOrigins: ReadonlyArray<OriginPattern>;
  readonly budgetDefaults: BudgetDefaults;
}

const toAgency = (row: Record<string, unknown>): Agency => {
  const origins = parseOriginPatterns((row.return_origins as string[]).join(","));
  return {
    id: row.id as string,
    code: row.code as string,
    name: row.name as string,
    webhookUrl: (row.webhook_url as string | null) ?? null,
    returnOrigins: origins.ok ? origins.patterns : [],
    budgetDefaults: row.budget_defaults as BudgetDefaults,
  };
};

export const findAgencyByKeyHash = async (sql: Db, hash: string): Promise<Agency | null> => {
  const [row] = await sql`select * from agencies where api_key_hash = ${hash}`;
  return row ? toAgency(row) : null;
};

export const findAgency = async (sql: Db, id: string): Promise<Agency | null> => {
  const [row] = await sql`select * from agencies where id = ${id}`;
  return row ? toAgency(row) : null;
};

export interface AgencyRegistration {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly apiKeyHash: string;
  readonly webhookUrl: string | null;
  readonly webhookSecret: string | null;
  readonly returnOrigins: ReadonlyArray<OriginPattern>;
  readonly budgetDefaults: BudgetDefaults;
  /** Mã số thuế printed on its e-receipts; left as it is when not given. */
  readonly taxId?: string;
}

/** Creates the agency or brings it in line with the registration (keys, webhook, origins). */
export const upsertAgency = async (sql: Db, a: AgencyRegistration): Promise<void> => {
  await sql`
    insert into agencies (id, code, name, api_key_hash, webhook_url, webhook_secret, return_origins, budget_defaults,
                          tax_id)
    values (${a.id}, ${a.code}, ${a.name}, ${a.apiKeyHash}, ${a.webhookUrl}, ${a.webhookSecret},
            ${a.returnOrigins.map(formatOriginPattern)}, ${sql.json(a.budgetDefaults as never)}, ${a.taxId ?? null})
    on conflict (id) do update set code = excluded.code, name = excluded.name, api_key_hash = excluded.api_key_hash,
      webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret,
      return_origins = excluded.return_origins, budget_defaults = excluded.budget_defaults,
      tax_id = coalesce(excluded.tax_id, agencies.tax_id), updated_at = now()`;
};
