import { WithStartWorkflowOperation, WorkflowNotFoundError } from "@temporalio/client";
import { Schema } from "effect";
import type { Context } from "hono";
import { Hono } from "hono";
import {
  findSettlement,
  listDocuments,
  listSettlements,
  resolveMismatch,
  type SettlementRecord,
  TREASURY_RESOLUTIONS,
  type TreasuryDocumentRecord,
} from "../../db/settlement.ts";
import { newPaymentId } from "../../domain/ids.ts";
import { vietnamBusinessDate } from "../../domain/vietnam-time.ts";
import type { settlementWorkflow } from "../../workflows/settlement.ts";
import {
  settlementRecheckSignal,
  settlementRecordedUpdate,
  settlementWorkflowId,
} from "../../workflows/settlement-messages.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { decode, readJson } from "../request-body.ts";
import { renderSettlement, statementCsv } from "./settlement-resource.ts";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date that exists (no 31 February); business dates are Vietnam's. */
const isRealDate = (date: string): boolean =>
  ISO_DATE.test(date) && vietnamBusinessDate(new Date(`${date}T12:00:00+07:00`)) === date;

const StartSettlement = Schema.Struct({
  business_date: Schema.String.check(
    Schema.makeFilter((d: string) =>
      isRealDate(d) ? undefined : "business_date must be a date, yyyy-MM-dd",
    ),
  ),
});

/** The body of POST /v1/ops/settlements/:id/documents/:reference_no/resolution. */
const MismatchResolution = Schema.Struct({
  resolution: Schema.Literals(TREASURY_RESOLUTIONS),
  note: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1000)),
  operator: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100)),
});

const START_TIMEOUT_MS = 15_000;

/** The statement as a CSV download, for the ops API and the ops page alike. */
export const statementCsvResponse = (
  c: Context,
  settlement: SettlementRecord,
  documents: ReadonlyArray<TreasuryDocumentRecord>,
): Response => {
  c.header("Content-Type", "text/csv; charset=utf-8");
  c.header(
    "Content-Disposition",
    `attachment; filename="settlement-${settlement.businessDate}-${settlement.id}.csv"`,
  );
  return c.body(statementCsv(settlement, documents));
};

/**
 * Settlement (quyết toán) with the State Treasury: start a run for a business date, follow it, read its
 * statement as JSON or CSV. The run itself is the settlement workflow (settlement-<date> in Temporal).
 */
export const opsSettlementRoutes = (deps: ApiDeps) => {
  const app = new Hono();

  const load = async (id: string) => {
    const settlement = await findSettlement(deps.sql, id);
    if (settlement === null) throw new ApiError("settlement_not_found", "No settlement with this id");
    return { settlement, documents: await listDocuments(deps.sql, id) };
  };

  app.post("/settlements", async (c) => {
    const body = decode(StartSettlement, await readJson(await c.req.text()));
    const today = vietnamBusinessDate(deps.now());
    if (body.business_date > today) {
      throw new ApiError("invalid_field", `business_date cannot be after today (${today})`, "business_date");
    }
    const [y, m, d] = body.business_date.split("-");
    // While a run of the date is still going, asking again joins it: the answer carries its id.
    const start = new WithStartWorkflowOperation<typeof settlementWorkflow>("settlementWorkflow", {
      workflowId: settlementWorkflowId(body.business_date),
      taskQueue: deps.config.temporal.taskQueue,
      workflowIdConflictPolicy: "USE_EXISTING",
      args: [
        {
          settlementId: newPaymentId(),
          businessDate: body.business_date,
          startedAt: deps.now().toISOString(),
          pollEveryMs: deps.config.treasury.pollEveryMs,
        },
      ],
      staticSummary: `Quyết toán ngày ${d}/${m}/${y} (settlement of ${body.business_date})`,
    });
    let timer: NodeJS.Timeout | undefined;
    const view = await Promise.race([
      deps.temporal.workflow.executeUpdateWithStart(settlementRecordedUpdate, {
        startWorkflowOperation: start,
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ApiError("service_unavailable", "The settlement could not be started in time; ask again"),
            ),
          START_TIMEOUT_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const { settlement, documents } = await load(view.settlementId);
    return c.json(renderSettlement(settlement, documents, deps.links.publicUrl), 202);
  });

  app.get("/settlements", async (c) => {
    const businessDate = c.req.query("business_date");
    if (businessDate !== undefined && !isRealDate(businessDate)) {
      throw new ApiError("invalid_field", "business_date must be a date, yyyy-MM-dd", "business_date");
    }
    const runs = await listSettlements(deps.sql, { ...(businessDate ? { businessDate } : {}), limit: 200 });
    const settlements = [];
    for (const run of runs) {
      settlements.push(renderSettlement(run, await listDocuments(deps.sql, run.id), deps.links.publicUrl));
    }
    return c.json({ settlements });
  });

  app.get("/settlements/:id", async (c) => {
    const { settlement, documents } = await load(c.req.param("id"));
    return c.json(renderSettlement(settlement, documents, deps.links.publicUrl));
  });

  // A credit advice for another amount holds the run and its payments until an operator records how
  // it was sorted out with the treasury; the run then looks again at once.
  app.post("/settlements/:id/documents/:referenceNo/resolution", async (c) => {
    const { settlement, documents } = await load(c.req.param("id"));
    const document = documents.find((d) => d.referenceNo === c.req.param("referenceNo"));
    if (document === undefined)
      throw new ApiError(
        "treasury_document_not_found",
        "The settlement has no document with this reference_no",
      );
    const body = decode(MismatchResolution, await readJson(await c.req.text()));
    const resolved = await resolveMismatch(deps.sql, settlement.id, document.referenceNo, {
      resolution: body.resolution,
      note: body.note,
      resolvedBy: body.operator,
      at: deps.now(),
    });
    if (!resolved)
      throw new ApiError(
        "treasury_document_not_mismatched",
        document.resolution !== null
          ? "The document's credit advice is resolved already"
          : `The document is ${document.status}: only a credit advice for another amount needs a resolution`,
      );
    await deps.temporal.workflow
      .getHandle(settlement.workflowId)
      .signal(settlementRecheckSignal)
      .catch((error: unknown) => {
        // The run has ended (an operator terminated it): the resolution stands in the ledger.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      });
    const after = await load(settlement.id);
    return c.json(renderSettlement(after.settlement, after.documents, deps.links.publicUrl));
  });

  app.get("/settlements/:id/statement.csv", async (c) => {
    const { settlement, documents } = await load(c.req.param("id"));
    return statementCsvResponse(c, settlement, documents);
  });

  return app;
};
