import { inject } from "vitest";
import type { Infra } from "./stack.ts";

/** The servers the integration project's global setup started. */
export const testInfra = (): Infra => ({
  temporalAddress: inject("temporalAddress"),
  temporalNamespace: inject("temporalNamespace"),
  postgresAdminUrl: inject("postgresAdminUrl"),
});
