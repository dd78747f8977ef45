import { readFileSync } from "node:fs";

/** A fixed-amount VND fee line from the seed schedule (../db/seed/fees.json, real legal amounts). */
export interface CatalogueLine {
  readonly lineId: string;
  readonly kind: "fee" | "charge";
  readonly name: string;
  readonly amount: number;
  readonly subItem: string;
}

/** A public service and its payable lines. */
export interface CatalogueService {
  readonly id: string;
  readonly name: string;
  readonly procedureCode: string | null;
  readonly lines: ReadonlyArray<CatalogueLine>;
}

interface RawLine {
  line_id: string;
  kind: "phi" | "le_phi";
  name_vi: string;
  currency: string;
  amount: number | null;
  budget_subitem: { tieu_muc: string | null } | null;
}
interface RawService {
  id: string;
  name_vi: string;
  procedure_code: { value: string | null } | null;
  lines: RawLine[];
}

let cache: CatalogueService[] | undefined;

/**
 * The 36 services of the seed schedule, keeping the lines a portal can charge as they are: fixed
 * amounts in VND with a budget sub-item (rule-based, USD and free lines are left out).
 */
export const feeCatalogue = (): ReadonlyArray<CatalogueService> => {
  cache ??= (
    JSON.parse(readFileSync(new URL("../db/seed/fees.json", import.meta.url), "utf8")) as RawService[]
  ).map((s) => ({
    id: s.id,
    name: s.name_vi,
    procedureCode: s.procedure_code?.value ?? null,
    lines: s.lines
      .filter(
        (l) =>
          l.currency === "VND" && typeof l.amount === "number" && l.amount > 0 && l.budget_subitem?.tieu_muc,
      )
      .map((l) => ({
        lineId: l.line_id,
        kind: l.kind === "phi" ? ("fee" as const) : ("charge" as const),
        name: l.name_vi,
        amount: l.amount as number,
        subItem: l.budget_subitem!.tieu_muc!,
      })),
  }));
  return cache;
};

/** One service by id; throws for an id the schedule does not have (a programming error). */
export const catalogueService = (id: string): CatalogueService => {
  const service = feeCatalogue().find((s) => s.id === id);
  if (!service) throw new Error(`no service ${id} in the fee schedule`);
  return service;
};

/** A POST /v1/payments body for some lines of a service, as a portal would send it. */
export const paymentRequestFor = (
  service: CatalogueService,
  options: { dossierCode: string; returnUrl: string; lineIds?: ReadonlyArray<string>; payerName?: string },
) => {
  const lines = options.lineIds
    ? service.lines.filter((l) => options.lineIds!.includes(l.lineId))
    : service.lines.slice(0, 1);
  return {
    amount: lines.reduce((sum, l) => sum + l.amount, 0),
    reference: options.dossierCode,
    description: service.name.slice(0, 255),
    return_url: options.returnUrl,
    ...(service.procedureCode ? { procedure_code: service.procedureCode } : {}),
    lines: lines.map((l) => ({ kind: l.kind, name: l.name, amount: l.amount, sub_item: l.subItem })),
    payer: { name: options.payerName ?? "Nguyễn Văn An" },
  };
};
