/**
 * VietQR over NAPAS 247: PayGov shows a dynamic VietQR for the collection account, the citizen's
 * banking app transfers, and the account's bank notifies PayGov. There is nothing to call at open
 * (the QR is built here), no query (a merchant cannot ask a bank about a transfer it has not seen)
 * and no refund API; the bank's daily statement is the reconciliation file. Transport only; every rule
 * of the protocol lives in protocol.ts.
 */
import { Effect } from "effect";
import { type Connector, type ConnectorRuntime, defineConnector } from "../sdk/contract.ts";
import { type ConnectorError, InvalidRequest } from "../sdk/errors.ts";
import { fetchDocument, reconciliationFileUrl } from "../sdk/http.ts";
import { bankName } from "./banks.ts";
import { merchantOf, type VietqrConfig, vietqrConfig, vietqrSandboxCredentials } from "./config.ts";
import { attemptQr, notificationAnswer, verifyNotification } from "./protocol.ts";
import { vietqrSimulator } from "./simulator.tsx";

export type { VietqrConfig } from "./config.ts";

/** The VietQR connector: every optional method it has, typed as present. */
export interface VietqrConnector extends Connector {
  /** The bank's statement of one Vietnam business date (yyyy-MM-dd), as VIETQR_RECON_URL serves it. */
  reconciliationFile(businessDate: string): Effect.Effect<string, ConnectorError>;
}

export const makeVietqr = (config: VietqrConfig, runtime: ConnectorRuntime): VietqrConnector => {
  const merchant = merchantOf(config);
  return {
    initiate: (attempt) => {
      const qr = attemptQr(merchant, attempt.reference, attempt.amount);
      return qr.ok
        ? Effect.succeed({
            kind: "qr",
            payload: qr.value.payload,
            bank: bankName(merchant.bankBin),
            account: merchant.accountNo,
            accountName: merchant.accountName,
            description: qr.value.description,
          })
        : Effect.fail(new InvalidRequest({ message: qr.message }));
    },

    // Only the bank's server notification exists: a banking app never sends the citizen's browser back.
    verifyCallback: (request, channel) =>
      channel === "ipn"
        ? verifyNotification(request, merchant, runtime.now())
        : { ok: false, rejection: { reason: "malformed", message: "VietQR has no browser return" } },

    acknowledge: notificationAnswer,

    // Reading the statement changes nothing at the bank: every failure may be retried.
    reconciliationFile: (businessDate) =>
      reconciliationFileUrl(config.reconUrl, businessDate).pipe(
        Effect.flatMap((url) =>
          fetchDocument(runtime, url, {
            name: "the bank's statement",
            unreachable: (error) =>
              `the bank's statement could not be fetched (${error instanceof Error ? error.name : "error"})`,
          }),
        ),
      ),
  };
};

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40" role="img" aria-label="VietQR">' +
  '<rect x="1" y="1" width="118" height="38" rx="8" fill="#fff" stroke="#00558f" stroke-width="2"/>' +
  '<rect x="9" y="9" width="9" height="9" fill="#00558f"/><rect x="22" y="9" width="9" height="9" fill="#00558f"/>' +
  '<rect x="9" y="22" width="9" height="9" fill="#00558f"/><rect x="22" y="22" width="9" height="9" fill="#da251d"/>' +
  '<text x="38" y="27" font-family="Arial, Helvetica, sans-serif" font-size="16" font-weight="700">' +
  '<tspan fill="#da251d">Viet</tspan><tspan fill="#00558f">QR</tspan></text>' +
  "</svg>";

/** VietQR: a NAPAS 247 transfer from any Vietnamese banking app, by scanning the QR. */
export const vietqr = defineConnector<VietqrConfig>({
  id: "vietqr",
  display: {
    name: { vi: "VietQR", en: "VietQR" },
    description: {
      vi: "Chuyển khoản nhanh NAPAS 247 từ ứng dụng của mọi ngân hàng",
      en: "NAPAS 247 instant transfer from any banking app",
    },
    logoSvg: LOGO_SVG,
    methods: [
      { vi: "Quét mã VietQR bằng ứng dụng ngân hàng", en: "Scan the VietQR with a banking app" },
      { vi: "Chuyển khoản đúng số tiền và nội dung", en: "Transfer with the exact amount and description" },
    ],
  },
  capabilities: {
    redirect: false,
    qr: true,
    billLookup: false,
    // A merchant cannot ask a bank about a transfer: it learns of money only when it arrives.
    query: false,
    refund: false,
    refundStatus: false,
    reconciliationFile: true,
  },
  // The citizen confirms (or types) the amount in the banking app: a transfer may be short or over.
  payerSetsAmount: true,
  config: vietqrConfig,
  sandboxCredentials: vietqrSandboxCredentials,
  make: makeVietqr,
  // The citizen's browser is never sent anywhere: the QR is shown on PayGov's own page.
  browserOrigins: () => [],
  simulator: vietqrSimulator,
});
