import { Option, Redacted } from "effect";
import type { AppConfig } from "../config/app-config.ts";
import { CONNECTORS } from "../connectors/index.ts";
import type { AnyConnectorDefinition, ConnectorRuntime } from "../connectors/sdk/contract.ts";
import { type ConnectorSet, loadConnectors } from "../connectors/sdk/load.ts";
import type { LinkContext } from "../domain/payment-resource.ts";
import { type ReceiptSigner, receiptSigner } from "../domain/receipt-signature.ts";

/** The I/O lent to connectors in a running process. */
export const processConnectorRuntime = (
  env: Record<string, string | undefined> = process.env,
): ConnectorRuntime => {
  // app-config.ts has refused anything but a positive whole number of seconds before this runs.
  const seconds = Number(env.PAYGOV_CONNECTOR_TIMEOUT || "10");
  return {
    fetch: globalThis.fetch,
    now: () => new Date(),
    serverIp: "127.0.0.1",
    requestTimeoutMs: seconds * 1000,
  };
};

/**
 * Loads the registered connectors (or `definitions`: tests add unregistered ones, such as the template)
 * and says on stderr which ones are off and why.
 */
export const loadConnectorSet = (
  env: Record<string, string | undefined>,
  runtime: ConnectorRuntime = processConnectorRuntime(env),
  log: (line: string) => void = (line) => console.error(line),
  definitions: ReadonlyArray<AnyConnectorDefinition> = CONNECTORS,
): ConnectorSet => {
  const set = loadConnectors(definitions, env, runtime);
  for (const { id, reason } of set.disabled) {
    log(`PayGov: connector "${id}" is disabled until its configuration is complete:\n${reason}`);
  }
  return set;
};

/** How links are rendered in this deployment. */
export const linkContext = (config: AppConfig): LinkContext => ({
  publicUrl: config.publicUrl,
  secretKey: Redacted.value(config.secretKey),
});

/** The deployment's e-receipt signer; a key that is not an Ed25519 PKCS#8 PEM stops the start, named. */
export const receiptSignerOf = (config: AppConfig): ReceiptSigner => {
  try {
    return receiptSigner({
      secretKey: Redacted.value(config.secretKey),
      signingKeyPem: Option.match(config.receiptSigningKey, { onNone: () => null, onSome: Redacted.value }),
    });
  } catch (error) {
    throw new Error(`PAYGOV_RECEIPT_SIGNING_KEY: ${error instanceof Error ? error.message : String(error)}`);
  }
};
