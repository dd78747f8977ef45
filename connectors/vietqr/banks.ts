/**
 * Names of NAPAS member banks by BIN, for citizens who type the transfer in instead of scanning: a
 * banking app lists banks by name, never by BIN. Taken from the NAPAS member list as VietQR.io
 * publishes it (GET https://api.vietqr.io/v2/banks, `bin` and `shortName`); a BIN missing here is
 * shown as itself, so the table only needs the banks that hold public collection accounts.
 */
const NAPAS_BANKS: Readonly<Record<string, string>> = {
  "970400": "Saigonbank",
  "970403": "Sacombank",
  "970405": "Agribank",
  "970406": "DongA Bank",
  "970407": "Techcombank",
  "970408": "GPBank",
  "970409": "Bac A Bank",
  "970412": "PVcomBank",
  "970414": "OceanBank",
  "970415": "VietinBank",
  "970416": "ACB",
  "970418": "BIDV",
  "970419": "NCB",
  "970422": "MB",
  "970423": "TPBank",
  "970425": "ABBANK",
  "970426": "MSB",
  "970427": "VietABank",
  "970428": "Nam A Bank",
  "970429": "SCB",
  "970430": "PGBank",
  "970431": "Eximbank",
  "970432": "VPBank",
  "970433": "Vietbank",
  "970436": "Vietcombank",
  "970437": "HDBank",
  "970438": "BaoViet Bank",
  "970440": "SeABank",
  "970441": "VIB",
  "970443": "SHB",
  "970448": "OCB",
  "970449": "LPBank",
  "970452": "KienlongBank",
  "970454": "BVBank",
};

/** The bank's common name for a NAPAS BIN, or "BIN <bin>" when the table does not know it. */
export const bankName = (bin: string): string =>
  Object.hasOwn(NAPAS_BANKS, bin) ? (NAPAS_BANKS[bin] as string) : `BIN ${bin}`;

/** The BINs named above (sandbox accounts are opened at one of them). */
export const NAPAS_BINS: ReadonlyArray<string> = Object.keys(NAPAS_BANKS);
