import { Context } from "effect";
import type { ConnectorSet } from "../connectors/sdk/load.ts";
import type { LedgerContext } from "../db/ledger.ts";

/** The ledger: PostgreSQL, the webhook outbox, and how links are rendered. */
export class Ledger extends Context.Service<Ledger, LedgerContext>()("paygov/Ledger") {}

/** The connectors configured in this worker. */
export class Connectors extends Context.Service<Connectors, ConnectorSet>()("paygov/Connectors") {}

/** Everything activities may use. */
export type ActivityServices = Ledger | Connectors;
