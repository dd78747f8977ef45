// Intermediaries hash and URL-encode their order text; outside [A-Za-z0-9 .,:_-] their encoders
// disagree and signatures break (intermediaries.md §1.3, §12.7). Diacritics go, the dossier code stays.
const strip = (text: string): string =>
  text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .replace(/[^A-Za-z0-9 .,:_-]/g, " ")
    .replace(/\s+/g, " ")
    .trim();

/** "Thanh toan ho so <dossier code>", ASCII-safe for every protocol, at most 255 characters. */
export const asciiOrderInfo = (dossierCode: string): string =>
  `Thanh toan ho so ${strip(dossierCode)}`.slice(0, 255);

/** Any text made ASCII-safe the same way. */
export const asciiText = strip;
