import { Hono } from "hono";
import type { ConnectorSet } from "../connectors/sdk/load.ts";
import { treasurySimulator } from "../connectors/treasury/simulator.tsx";
import { type HttpServerHandle, serveHttp } from "../workers/http.ts";
import { demoPortal } from "./demo-portal.tsx";

export interface SandboxOptions {
  readonly port: number;
  /** Where to listen: 127.0.0.1 unless PAYGOV_LISTEN_HOST says otherwise (0.0.0.0 in a container). */
  readonly hostname?: string;
  /**
   * PayGov's API as the simulators reach it for server-to-server notifications (IPNs):
   * PAYGOV_INTERNAL_URL, else PAYGOV_PUBLIC_URL (AppConfig.internalUrl).
   */
  readonly paygovUrl: string;
  readonly webhookSecret: () => string | null;
  /** The sandbox agency's API key: the demo portal reads its payments' outcomes with it. */
  readonly portalApiKey?: () => string | null;
  /** PAYGOV_TREASURY_SECRET: with it, the State Treasury's simulator answers at /treasury. */
  readonly treasurySecret?: string | null;
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => Date;
}

/**
 * The sandbox intermediaries: every configured connector's simulator under /<id>, each speaking its
 * intermediary's real protocol, plus a demo portal under /demo-portal. Runs beside PayGov in `make dev`.
 */
export const sandboxApp = (connectors: ConnectorSet, options: Omit<SandboxOptions, "port">) => {
  // Not strict: /demo-portal and /demo-portal/ are the same page.
  const app = new Hono({ strict: false });
  const now = options.now ?? (() => new Date());
  for (const live of connectors.live.values()) {
    const simulator = live.definition.simulator;
    if (!simulator) continue;
    const basePath = `/${live.definition.id}`;
    app.route(
      basePath,
      simulator({
        merchant: live.config as never,
        ipnUrl: `${options.paygovUrl}/callbacks/${live.definition.id}/ipn`,
        basePath,
        fetch: options.fetch ?? globalThis.fetch,
        now,
      }),
    );
  }
  app.route(
    "/demo-portal",
    demoPortal({
      webhookSecret: options.webhookSecret,
      now,
      paygov: {
        url: options.paygovUrl,
        apiKey: options.portalApiKey ?? (() => null),
        fetch: options.fetch ?? globalThis.fetch,
      },
    }),
  );
  if (options.treasurySecret)
    app.route("/treasury", treasurySimulator({ secret: options.treasurySecret, now }));
  // The simulators' pages are plain; an empty icon keeps browsers from logging a 404 on each of them.
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/", (c) =>
    c.json({
      simulators: [...connectors.live.values()]
        .filter((l) => l.definition.simulator)
        .map((l) => l.definition.id),
      demo_portal: "/demo-portal/",
    }),
  );
  return app;
};

/** Serves the sandbox on options.hostname (127.0.0.1 by default). */
export const startSandbox = (connectors: ConnectorSet, options: SandboxOptions): Promise<HttpServerHandle> =>
  serveHttp(sandboxApp(connectors, options).fetch, options.port, options.hostname);
