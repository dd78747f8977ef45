import { defineConfig } from "vitest/config";

// Two projects: pure unit tests beside the code, and suites in test/ that need the real
// Temporal dev server and PostgreSQL (started once by the global setup).
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "hono/jsx" } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [
            "{api,domain,config,workflows,activities,connectors,db,workers,scripts}/**/*.test.{ts,tsx}",
          ],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.{ts,tsx}"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
