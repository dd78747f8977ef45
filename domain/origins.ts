/** An origin a portal's return_url may use; `port: "*"` accepts any port (local development). */
export interface OriginPattern {
  readonly protocol: "http:" | "https:";
  readonly hostname: string;
  readonly port: string | "*";
}

/** Parses a comma- or space-separated list such as "https://dvc.gov.vn,http://localhost:*". */
export const parseOriginPatterns = (
  raw: string,
): { ok: true; patterns: OriginPattern[] } | { ok: false; error: string } => {
  const patterns: OriginPattern[] = [];
  for (const item of raw.split(/[\s,]+/).filter((s) => s !== "")) {
    const wildcard = item.endsWith(":*");
    let url: URL;
    try {
      url = new URL(wildcard ? item.slice(0, -2) : item);
    } catch {
      return { ok: false, error: `"${item}" is not an origin (expected scheme://host[:port])` };
    }
    if (
      (url.protocol !== "http:" && url.protocol !== "https:") ||
      url.pathname !== "/" ||
      url.search ||
      url.hash
    ) {
      return { ok: false, error: `"${item}" is not an http(s) origin without a path` };
    }
    patterns.push({ protocol: url.protocol, hostname: url.hostname, port: wildcard ? "*" : url.port });
  }
  if (patterns.length === 0) return { ok: false, error: "no origin given" };
  return { ok: true, patterns };
};

/** Renders patterns back to their text form, for storage and display. */
export const formatOriginPattern = (p: OriginPattern): string =>
  `${p.protocol}//${p.hostname}${p.port === "*" ? ":*" : p.port ? `:${p.port}` : ""}`;

/** True when the URL's origin is one of the patterns (scheme, host and port all match). */
export const originAllowed = (url: URL, patterns: ReadonlyArray<OriginPattern>): boolean =>
  patterns.some(
    (p) =>
      p.protocol === url.protocol && p.hostname === url.hostname && (p.port === "*" || p.port === url.port),
  );
