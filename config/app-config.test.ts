import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { describeConfigFailure, loadAppConfig } from "./app-config.ts";

const BASE = { PAYGOV_SECRET_KEY: "s".repeat(64) };

/** The operator's message for an environment, or null when it loads. */
const failure = (env: Record<string, string>): string | null => {
  const exit = Effect.runSyncExit(loadAppConfig({ ...BASE, ...env }));
  return exit._tag === "Success" ? null : describeConfigFailure(exit.cause);
};

describe("configuration from the environment", () => {
  it("loads with only the secret key, every other variable at its documented default", () => {
    const exit = Effect.runSyncExit(loadAppConfig(BASE));
    expect(exit._tag).toBe("Success");
    if (exit._tag !== "Success") return;
    expect(exit.value).toMatchObject({
      port: 3000,
      publicUrl: "http://127.0.0.1:3000",
      temporal: { address: "127.0.0.1:7233", namespace: "default" },
      payments: { defaultExpiresInSeconds: 1800 },
      webhooks: { retryScheduleMs: [60_000, 300_000, 3_600_000, 86_400_000, 172_800_000] },
      reconciliation: { cutoff: { hour: 2, minute: 0 } },
      settlement: { cutoff: { hour: 3, minute: 0 } },
    });
  });

  it.each([
    ["PORT", "eighty"],
    ["PAYGOV_PUBLIC_URL", "paygov.example"],
    ["PAYGOV_DEFAULT_EXPIRES_IN", "-5"],
    ["PAYGOV_REFUND_WINDOW", "1.5"],
    ["PAYGOV_CONNECTOR_TIMEOUT", "ten"],
    ["PAYGOV_CONNECTOR_TIMEOUT", "0"],
    ["PAYGOV_WEBHOOK_RETRY_SCHEDULE", "1m,soon"],
    ["PAYGOV_RECONCILIATION_CUTOFF", "25:00"],
  ])("stops on %s=%s with a message naming the variable", (name, value) => {
    const message = failure({ [name]: value });
    expect(message).not.toBeNull();
    expect(message).toContain(name);
  });

  it("names a missing secret key", () => {
    const exit = Effect.runSyncExit(loadAppConfig({}));
    expect(exit._tag).toBe("Failure");
    if (exit._tag === "Failure") expect(describeConfigFailure(exit.cause)).toContain("PAYGOV_SECRET_KEY");
  });
});
