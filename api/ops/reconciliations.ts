import { Readable } from "node:stream";
import { WithStartWorkflowOperation } from "@temporalio/client";
import { Schema } from "effect";
import type { Context } from "hono";
import { Hono } from "hono";
import {
  DISCREPANCY_STATES,
  type DiscrepancyRecord,
  type DiscrepancyState,
  findDiscrepancy,
  findRun,
  listDiscrepancies,
  listRuns,
  OPERATOR_RESOLUTIONS,
  type RunRecord,
  resolveDiscrepancy,
  resultLines,
} from "../../db/reconciliation.ts";
import { isCalendarDate, vietnamDay } from "../../domain/business-day.ts";
import { newPaymentId } from "../../domain/ids.ts";
import { writeReconResult } from "../../domain/recon-result-file.ts";
import type { reconciliationWorkflow } from "../../workflows/reconciliation.ts";
import {
  reconciliationRecordedUpdate,
  reconciliationWorkflowId,
} from "../../workflows/reconciliation-messages.ts";
import { ConnectorKey } from "../../workflows/search-attributes.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { decode, readJson, withTimeout } from "../request-body.ts";

/** The body of POST /v1/ops/reconciliations. */
const StartReconciliation = Schema.Struct({
  connector: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(50)),
  business_date: Schema.String.check(
    Schema.makeFilter((d: string) =>
      isCalendarDate(d) ? undefined : "expected a calendar day as yyyy-MM-dd",
    ),
  ),
});

/** The body of POST /v1/ops/reconciliations/:run_id/discrepancies/:seq/resolution. */
const Resolution = Schema.Struct({
  resolution: Schema.Literals(OPERATOR_RESOLUTIONS),
  note: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1000)),
  operator: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100)),
});

const ZERO_TOTALS = {
  rows: 0,
  matched: 0,
  missing_at_paygov: 0,
  missing_at_intermediary: 0,
  amount_mismatch: 0,
  status_mismatch: 0,
  duplicate: 0,
};

/** A run as the ops API shows it; totals are zero until the file is matched (and stay so when rejected). */
export const renderRun = (run: RunRecord) => ({
  run_id: run.id,
  connector: run.connector,
  business_date: run.businessDate,
  status: run.status,
  trigger: run.trigger,
  totals: run.totals ?? ZERO_TOTALS,
  ...(run.status === "completed"
    ? { open_discrepancies: { inquiry: run.open.inquiry, awaiting_operator: run.open.operator } }
    : {}),
  ...(run.rejection ? { rejection: run.rejection } : {}),
  // A re-run that fetched the same file reports the result of this earlier run.
  ...(run.sameAs ? { same_file_as: run.sameAs } : {}),
  created_date: run.createdAt.toISOString(),
  ...(run.completedAt ? { completed_date: run.completedAt.toISOString() } : {}),
});

/** A discrepancy; `line` is the file's (absent for a PayGov success the file lacks). */
export const renderDiscrepancy = (d: DiscrepancyRecord) => ({
  seq: d.seq,
  kind: d.kind,
  state: d.state,
  ...(d.line !== null ? { line: d.line } : {}),
  txn_type: d.txnType,
  merchant_ref: d.merchantRef,
  provider_txn_id: d.providerTxnId,
  ...(d.paymentId !== null ? { payment_id: d.paymentId } : {}),
  ...(d.amountPaygov !== null ? { amount_paygov: d.amountPaygov } : {}),
  ...(d.amountIntermediary !== null ? { amount_intermediary: d.amountIntermediary } : {}),
  ...(d.statusPaygov !== null ? { status_paygov: d.statusPaygov } : {}),
  ...(d.statusIntermediary !== null ? { status_intermediary: d.statusIntermediary } : {}),
  ...(d.inquiryId !== null ? { inquiry_id: d.inquiryId } : {}),
  ...(d.resolution !== null ? { resolution: d.resolution } : {}),
  ...(d.resolutionNote !== null ? { resolution_note: d.resolutionNote } : {}),
  ...(d.resolvedBy !== null ? { resolved_by: d.resolvedBy } : {}),
  ...(d.resolvedAt !== null ? { resolved_date: d.resolvedAt.toISOString() } : {}),
});

const PAGE_SIZE = { default: 500, max: 5_000 };

/** A whole number within bounds from the query string, or a 422 naming the parameter. */
const queryInteger = (
  value: string | undefined,
  field: string,
  min: number,
  max: number,
  fallback: number,
) => {
  if (value === undefined) return fallback;
  const n = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new ApiError("invalid_field", `${field} must be a whole number from ${min} to ${max}`, field);
  return n;
};

const DISCREPANCY_KINDS = [
  "MISSING_AT_PAYGOV",
  "MISSING_AT_INTERMEDIARY",
  "AMOUNT_MISMATCH",
  "STATUS_MISMATCH",
  "DUPLICATE",
];

/** The run, or a 404. */
export const existingRun = async (deps: ApiDeps, runId: string): Promise<RunRecord> => {
  const run = await findRun(deps.sql, runId);
  if (run === null) throw new ApiError("reconciliation_not_found", "No reconciliation run with this id");
  return run;
};

const existingDiscrepancy = async (deps: ApiDeps, run: RunRecord, seqParam: string) => {
  const seq = /^\d{1,9}$/.test(seqParam) ? Number(seqParam) : null;
  const found = seq === null ? null : await findDiscrepancy(deps.sql, run, seq);
  if (found === null) throw new ApiError("discrepancy_not_found", "The run has no discrepancy with this seq");
  return found;
};

/**
 * The result file of a completed run, streamed (a million lines never sit in memory): the file's own
 * lines with their match status, then the successes it lacked (intermediaries.md §11).
 */
export const resultCsv = (c: Context, deps: ApiDeps, run: RunRecord): Response => {
  if (run.status !== "completed" || run.merchantId === null)
    throw new ApiError(
      "reconciliation_not_completed",
      run.status === "rejected"
        ? "The file was rejected: there is no result file"
        : "The run is still running",
    );
  const text = writeReconResult(
    {
      provider: run.connector.toUpperCase(),
      merchantId: run.merchantId,
      businessDate: run.businessDate,
      generatedAt: deps.now(),
    },
    resultLines(deps.sql, run),
  );
  const name = `${run.connector.toUpperCase()}_${run.merchantId}_${run.businessDate.replaceAll("-", "")}_result.csv`;
  c.header("Content-Type", "text/csv; charset=utf-8");
  c.header("Content-Disposition", `attachment; filename="${name.replace(/[^\w.-]/g, "_")}"`);
  return c.body(Readable.toWeb(Readable.from(text)) as ReadableStream);
};

/** Daily reconciliation (đối soát) for operators: start a run, read runs, totals and discrepancies. */
export const opsReconciliationRoutes = (deps: ApiDeps) => {
  const app = new Hono();

  app.post("/reconciliations", async (c) => {
    const body = decode(StartReconciliation, await readJson(await c.req.text()));
    const live = deps.connectors.live.get(body.connector);
    if (!live?.definition.capabilities.reconciliationFile || !live.connector.reconciliationFile)
      throw new ApiError(
        "connector_unavailable",
        "connector names no enabled intermediary with a reconciliation file",
        "connector",
      );
    if (body.business_date > vietnamDay(deps.now()))
      throw new ApiError("invalid_field", "business_date is after today in Vietnam", "business_date");
    // One workflow per connector and day: a run already under way is joined, and its id returned.
    const start = new WithStartWorkflowOperation<typeof reconciliationWorkflow>("reconciliationWorkflow", {
      workflowId: reconciliationWorkflowId(body.connector, body.business_date),
      taskQueue: deps.config.temporal.taskQueue,
      workflowIdConflictPolicy: "USE_EXISTING",
      args: [
        {
          runId: newPaymentId(),
          connector: body.connector,
          businessDate: body.business_date,
          trigger: "operator",
        },
      ],
      typedSearchAttributes: [{ key: ConnectorKey, value: body.connector }],
    });
    const { runId } = await withTimeout(
      deps.temporal.workflow.executeUpdateWithStart(reconciliationRecordedUpdate, {
        startWorkflowOperation: start,
      }),
      15_000,
    );
    return c.json({ run_id: runId }, 202);
  });

  app.get("/reconciliations", async (c) => {
    const businessDate = c.req.query("business_date");
    if (businessDate !== undefined && !isCalendarDate(businessDate))
      throw new ApiError(
        "invalid_field",
        "business_date must be a calendar day as yyyy-MM-dd",
        "business_date",
      );
    const connector = c.req.query("connector");
    const runs = await listRuns(deps.sql, {
      ...(connector ? { connector } : {}),
      ...(businessDate ? { businessDate } : {}),
    });
    return c.json({ runs: runs.map(renderRun) });
  });

  app.get("/reconciliations/:runId", async (c) =>
    c.json(renderRun(await existingRun(deps, c.req.param("runId")))),
  );

  // In file order, a page at a time: `after` is the last seq of the page before.
  app.get("/reconciliations/:runId/discrepancies", async (c) => {
    const run = await existingRun(deps, c.req.param("runId"));
    const kind = c.req.query("kind");
    if (kind !== undefined && !DISCREPANCY_KINDS.includes(kind))
      throw new ApiError("invalid_field", `kind must be one of ${DISCREPANCY_KINDS.join(", ")}`, "kind");
    const state = c.req.query("state");
    if (state !== undefined && !DISCREPANCY_STATES.includes(state as DiscrepancyState))
      throw new ApiError("invalid_field", `state must be one of ${DISCREPANCY_STATES.join(", ")}`, "state");
    const pageSize = queryInteger(c.req.query("page_size"), "page_size", 1, PAGE_SIZE.max, PAGE_SIZE.default);
    const after = queryInteger(c.req.query("after"), "after", 0, 999_999_999, -1);
    const page = await listDiscrepancies(deps.sql, run, {
      ...(kind ? { kind } : {}),
      ...(state ? { state: state as DiscrepancyState } : {}),
      ...(after >= 0 ? { afterSeq: after } : {}),
      limit: pageSize + 1,
    });
    const more = page.length > pageSize;
    const shown = page.slice(0, pageSize);
    const next = new URL(c.req.url);
    next.searchParams.set("after", String(shown.at(-1)?.seq ?? 0));
    next.searchParams.set("page_size", String(pageSize));
    return c.json({
      count: shown.length,
      discrepancies: shown.map(renderDiscrepancy),
      ...(more
        ? { _links: { next_page: { href: `${deps.config.publicUrl}${next.pathname}${next.search}` } } }
        : {}),
    });
  });

  app.get("/reconciliations/:runId/discrepancies/:seq", async (c) => {
    const run = await existingRun(deps, c.req.param("runId"));
    return c.json(renderDiscrepancy(await existingDiscrepancy(deps, run, c.req.param("seq"))));
  });

  // An operator settles what no inquiry can: an amount reported differently, a transaction PayGov does
  // not know, a success missing from the file, a line reported twice.
  app.post("/reconciliations/:runId/discrepancies/:seq/resolution", async (c) => {
    const run = await existingRun(deps, c.req.param("runId"));
    const found = await existingDiscrepancy(deps, run, c.req.param("seq"));
    const body = decode(Resolution, await readJson(await c.req.text()));
    if (found.state !== "awaiting_operator")
      throw new ApiError(
        "discrepancy_not_awaiting_operator",
        found.state === "resolved"
          ? "The discrepancy is already resolved"
          : `An inquiry settles this discrepancy: decide inquiry ${found.inquiryId ?? "(being opened)"} instead`,
      );
    const resolved = await resolveDiscrepancy(deps.sql, run, found.seq, {
      resolution: body.resolution,
      note: body.note,
      resolvedBy: body.operator,
      at: deps.now(),
    });
    if (!resolved)
      throw new ApiError("discrepancy_not_awaiting_operator", "The discrepancy was resolved meanwhile");
    return c.json(renderDiscrepancy((await findDiscrepancy(deps.sql, run, found.seq))!));
  });

  app.get("/reconciliations/:runId/result.csv", async (c) =>
    resultCsv(c, deps, await existingRun(deps, c.req.param("runId"))),
  );

  return app;
};
