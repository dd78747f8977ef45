import type { Client } from "@temporalio/client";
import type { PgBoss } from "pg-boss";
import type { AppConfig } from "../config/app-config.ts";
import type { ConnectorSet } from "../connectors/sdk/load.ts";
import type { Db } from "../db/client.ts";
import type { LinkContext } from "../domain/payment-resource.ts";
import type { ReceiptSigner } from "../domain/receipt-signature.ts";
import type { PaymentTiming } from "../workflows/messages.ts";

/** What the HTTP edge needs: configuration, the ledger to read, Temporal to drive, the connectors. */
export interface ApiDeps {
  readonly config: AppConfig;
  readonly sql: Db;
  readonly temporal: Client;
  readonly connectors: ConnectorSet;
  readonly links: LinkContext;
  readonly timing: PaymentTiming;
  /** For webhook redeliveries queued from the API. */
  readonly boss: PgBoss;
  readonly now: () => Date;
  /** Checks e-receipts' signatures when they are shown, and publishes its public key. */
  readonly receiptSigner: ReceiptSigner;
}

/** The workflow timings this deployment uses, from its configuration. */
export const paymentTiming = (config: AppConfig): PaymentTiming => ({
  attemptQueryAfterMs: config.payments.attemptQueryAfterMs,
  requeryEveryMs: config.payments.requeryEveryMs,
  queriesAtExpiry: 3,
  lateWindowMs: config.payments.lateWindowMs,
  refundWindowMs: config.payments.refundWindowMs,
  refundStatusEveryMs: config.payments.refundStatusEveryMs,
});
