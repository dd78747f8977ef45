import { Cause, Config, ConfigProvider, Effect, Option, type Redacted, Schema } from "effect";
import type { OriginPattern } from "../domain/origins.ts";
import { parseOriginPatterns } from "../domain/origins.ts";

/** Everything PayGov reads from its environment; connectors read their own (see connectors/). */
export interface AppConfig {
  readonly databaseUrl: string;
  readonly temporal: { readonly address: string; readonly namespace: string; readonly taskQueue: string };
  readonly port: number;
  /** Where PayGov listens: loopback unless a container must accept its neighbours (PAYGOV_LISTEN_HOST). */
  readonly listenHost: string;
  /** How citizens' browsers and intermediaries reach PayGov: links, redirects, callback URLs. */
  readonly publicUrl: string;
  /**
   * How services inside the deployment reach the API (PAYGOV_INTERNAL_URL, default the public URL):
   * in docker-compose the sandbox posts IPNs to http://api:3000 while browsers use 127.0.0.1:3000.
   */
  readonly internalUrl: string;
  /** Signs checkout links and CSRF tokens; rotating it invalidates open checkout links. */
  readonly secretKey: Redacted.Redacted<string>;
  /** The collecting organisation's Ed25519 key (PKCS#8 PEM) for e-receipts; else derived from secretKey. */
  readonly receiptSigningKey: Option.Option<Redacted.Redacted<string>>;
  /** The operations key for /v1/ops (PAYGOV_OPS_API_KEY; generated and printed when unset). */
  readonly opsApiKey: Option.Option<Redacted.Redacted<string>>;
  readonly sandbox: {
    readonly port: number;
    readonly apiKey: Option.Option<Redacted.Redacted<string>>;
    readonly webhookUrl: Option.Option<string>;
    readonly webhookSecret: Option.Option<Redacted.Redacted<string>>;
    readonly returnOrigins: ReadonlyArray<OriginPattern>;
  };
  readonly payments: {
    /** Shortest `expires_in` a portal may ask for, in seconds. */
    readonly minExpiresInSeconds: number;
    readonly defaultExpiresInSeconds: number;
    /** How long the workflow waits for a callback before asking the intermediary itself. */
    readonly attemptQueryAfterMs: number;
    /** Between two queries of an attempt whose outcome is still pending or unknown. */
    readonly requeryEveryMs: number;
    /** After expiry or cancellation, how long a late success is still taken by the workflow. */
    readonly lateWindowMs: number;
    /** After success, how long refunds go through the intermediary. */
    readonly refundWindowMs: number;
    /** Between two status checks of a refund the intermediary has not finished. */
    readonly refundStatusEveryMs: number;
    /** How long an inquiry waits for an operator before it is escalated. */
    readonly inquirySlaMs: number;
  };
  readonly webhooks: {
    /** Wait after each failed try; when the list is spent the delivery is dead. */
    readonly retryScheduleMs: ReadonlyArray<number>;
    readonly timeoutMs: number;
  };
  /** The State Treasury's interface, where settlements send their documents (connectors/treasury/). */
  readonly treasury: {
    /** PAYGOV_TREASURY_URL; default the sandbox simulator at /treasury. */
    readonly url: string;
    /** PAYGOV_TREASURY_SECRET, shared with the treasury; without it settlements wait before sending. */
    readonly secret: Option.Option<Redacted.Redacted<string>>;
    /** Between two requests for the credit advices of a settlement's documents. */
    readonly pollEveryMs: number;
  };
  readonly reconciliation: {
    /** PAYGOV_RECONCILIATION_CUTOFF (HH:mm, GMT+7): when each connector's schedule reconciles the day before. */
    readonly cutoff: { readonly hour: number; readonly minute: number };
  };
  readonly settlement: {
    /**
     * PAYGOV_SETTLEMENT_CUTOFF (HH:mm, GMT+7): when the schedule settles the day before — after the
     * reconciliations, whose inquiries may still confirm payments of that day.
     */
    readonly cutoff: { readonly hour: number; readonly minute: number };
  };
}

const seconds = (name: string, fallback: number) =>
  Config.schema(Schema.Int.check(Schema.isGreaterThan(0)), name).pipe(Config.withDefault(fallback));

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "1m,5m,1h,1d,2d" → milliseconds. */
export const parseDurations = (raw: string): number[] | null => {
  const items = raw.split(",").map((s) => s.trim());
  const out: number[] = [];
  for (const item of items) {
    const m = DURATION.exec(item);
    if (!m) return null;
    out.push(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
  }
  return out;
};

/** A time of day as HH:mm, read as { hour, minute }. */
const timeOfDay = (name: string, fallback: string) =>
  Config.schema(
    Schema.String.check(
      Schema.makeFilter((raw: string) =>
        /^([01]\d|2[0-3]):[0-5]\d$/.test(raw) ? undefined : 'expected a time of day as HH:mm, e.g. "02:00"',
      ),
    ),
    name,
  ).pipe(
    Config.withDefault(fallback),
    Config.map((raw) => ({ hour: Number(raw.slice(0, 2)), minute: Number(raw.slice(3, 5)) })),
  );

const url = (name: string) => Config.URL(name).pipe(Config.map((u) => u.toString().replace(/\/$/, "")));

const appConfig = Config.all({
  port: Config.Port("PORT").pipe(Config.withDefault(3000)),
  sandboxPort: Config.Port("PAYGOV_SANDBOX_PORT").pipe(Config.withDefault(3001)),
  databaseUrl: Config.String("DATABASE_URL").pipe(Config.option),
  temporalAddress: Config.String("TEMPORAL_ADDRESS").pipe(Config.withDefault("127.0.0.1:7233")),
  temporalNamespace: Config.String("TEMPORAL_NAMESPACE").pipe(Config.withDefault("default")),
  taskQueue: Config.String("PAYGOV_TASK_QUEUE").pipe(Config.withDefault("paygov-payments")),
  publicUrl: url("PAYGOV_PUBLIC_URL").pipe(Config.option),
  internalUrl: url("PAYGOV_INTERNAL_URL").pipe(Config.option),
  listenHost: Config.String("PAYGOV_LISTEN_HOST").pipe(Config.withDefault("127.0.0.1")),
  secretKey: Config.Redacted("PAYGOV_SECRET_KEY"),
  receiptSigningKey: Config.Redacted("PAYGOV_RECEIPT_SIGNING_KEY").pipe(Config.option),
  opsApiKey: Config.Redacted("PAYGOV_OPS_API_KEY").pipe(Config.option),
  sandboxApiKey: Config.Redacted("PAYGOV_SANDBOX_API_KEY").pipe(Config.option),
  sandboxWebhookUrl: url("PAYGOV_SANDBOX_WEBHOOK_URL").pipe(Config.option),
  sandboxWebhookSecret: Config.Redacted("PAYGOV_SANDBOX_WEBHOOK_SECRET").pipe(Config.option),
  sandboxReturnOrigins: Config.schema(
    Schema.String.check(
      Schema.makeFilter((raw: string) => {
        const parsed = parseOriginPatterns(raw);
        return parsed.ok ? undefined : parsed.error;
      }),
    ),
    "PAYGOV_SANDBOX_RETURN_ORIGINS",
  ).pipe(
    Config.withDefault("http://localhost:*,http://127.0.0.1:*"),
    Config.map((raw) => {
      const parsed = parseOriginPatterns(raw);
      return parsed.ok ? parsed.patterns : [];
    }),
  ),
  minExpiresIn: seconds("PAYGOV_MIN_EXPIRES_IN", 300),
  defaultExpiresIn: seconds("PAYGOV_DEFAULT_EXPIRES_IN", 1800),
  attemptQueryAfter: seconds("PAYGOV_ATTEMPT_QUERY_AFTER", 900),
  requeryEvery: seconds("PAYGOV_REQUERY_EVERY", 120),
  lateWindow: seconds("PAYGOV_LATE_WINDOW", 7 * 86_400),
  refundWindow: seconds("PAYGOV_REFUND_WINDOW", 180 * 86_400),
  refundStatusEvery: seconds("PAYGOV_REFUND_STATUS_EVERY", 600),
  inquirySla: seconds("PAYGOV_INQUIRY_SLA", 2 * 86_400),
  webhookRetrySchedule: Config.schema(
    Schema.String.check(
      Schema.makeFilter((raw: string) =>
        parseDurations(raw) === null ? 'expected durations such as "1m,5m,1h,1d,2d"' : undefined,
      ),
    ),
    "PAYGOV_WEBHOOK_RETRY_SCHEDULE",
  ).pipe(
    Config.withDefault("1m,5m,1h,1d,2d"),
    Config.map((raw) => parseDurations(raw) ?? []),
  ),
  webhookTimeout: seconds("PAYGOV_WEBHOOK_TIMEOUT", 10),
  // Read by every connector's runtime (workers/platform.ts); checked here so a bad value stops the start.
  connectorTimeout: seconds("PAYGOV_CONNECTOR_TIMEOUT", 10),
  treasuryUrl: url("PAYGOV_TREASURY_URL").pipe(Config.option),
  treasurySecret: Config.Redacted("PAYGOV_TREASURY_SECRET").pipe(Config.option),
  treasuryPollEvery: seconds("PAYGOV_TREASURY_POLL_EVERY", 300),
  reconciliationCutoff: timeOfDay("PAYGOV_RECONCILIATION_CUTOFF", "02:00"),
  settlementCutoff: timeOfDay("PAYGOV_SETTLEMENT_CUTOFF", "03:00"),
});

/** The default database when DATABASE_URL is unset: the embedded PostgreSQL that `make dev` starts. */
export const EMBEDDED_DATABASE_URL = "postgres://postgres:paygov@127.0.0.1:54329/paygov";

/** Drops unset variables: an empty or undefined value means "use the default". */
export const definedOnly = (env: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""),
  );

/** Reads and checks the configuration; a bad value fails with a message naming its variable. */
export const loadAppConfig = (
  env: Record<string, string | undefined>,
): Effect.Effect<AppConfig, Config.ConfigError> =>
  appConfig.parse(ConfigProvider.fromEnv({ env: definedOnly(env) })).pipe(
    Effect.map(
      (c): AppConfig => ({
        databaseUrl: Option.getOrElse(c.databaseUrl, () => EMBEDDED_DATABASE_URL),
        temporal: { address: c.temporalAddress, namespace: c.temporalNamespace, taskQueue: c.taskQueue },
        port: c.port,
        listenHost: c.listenHost,
        publicUrl: Option.getOrElse(c.publicUrl, () => `http://127.0.0.1:${c.port}`),
        internalUrl: Option.getOrElse(c.internalUrl, () =>
          Option.getOrElse(c.publicUrl, () => `http://127.0.0.1:${c.port}`),
        ),
        secretKey: c.secretKey,
        receiptSigningKey: c.receiptSigningKey,
        opsApiKey: c.opsApiKey,
        sandbox: {
          port: c.sandboxPort,
          apiKey: c.sandboxApiKey,
          webhookUrl: c.sandboxWebhookUrl,
          webhookSecret: c.sandboxWebhookSecret,
          returnOrigins: c.sandboxReturnOrigins,
        },
        payments: {
          minExpiresInSeconds: c.minExpiresIn,
          defaultExpiresInSeconds: c.defaultExpiresIn,
          attemptQueryAfterMs: c.attemptQueryAfter * 1000,
          requeryEveryMs: c.requeryEvery * 1000,
          lateWindowMs: c.lateWindow * 1000,
          refundWindowMs: c.refundWindow * 1000,
          refundStatusEveryMs: c.refundStatusEvery * 1000,
          inquirySlaMs: c.inquirySla * 1000,
        },
        webhooks: { retryScheduleMs: c.webhookRetrySchedule, timeoutMs: c.webhookTimeout * 1000 },
        treasury: {
          url: Option.getOrElse(c.treasuryUrl, () => `http://127.0.0.1:${c.sandboxPort}/treasury`),
          secret: c.treasurySecret,
          pollEveryMs: c.treasuryPollEvery * 1000,
        },
        reconciliation: { cutoff: c.reconciliationCutoff },
        settlement: { cutoff: c.settlementCutoff },
      }),
    ),
  );

/** Loads the configuration or stops the process with the variable's name and what is wrong with it. */
export const loadAppConfigOrExit = (env: Record<string, string | undefined>): AppConfig => {
  const exit = Effect.runSyncExit(loadAppConfig(env));
  if (exit._tag === "Success") return exit.value;
  console.error(`PayGov cannot start: invalid configuration.\n${describeConfigFailure(exit.cause)}`);
  process.exit(78);
};

/** Turns a configuration failure into "VARIABLE: what is wrong" lines an operator can act on. */
export const describeConfigFailure = (cause: Cause.Cause<Config.ConfigError>): string =>
  cause.reasons
    .map((reason) => {
      if (!Cause.isFailReason(reason)) return String(Cause.isDieReason(reason) ? reason.defect : reason);
      const message = reason.error.message.replace(/^SchemaError\((.*)\)$/s, "$1");
      const at = /\n\s*at \["([^"]+)"\]/.exec(message);
      const what = message
        .replace(/\n\s*at \[.*\]\s*$/s, "")
        .replace(/^Expected string$/, "is required but unset");
      return at ? `  ${at[1]}: ${what}` : `  ${message}`;
    })
    .join("\n");
