import type { Sql } from "postgres";
import postgres from "postgres";

export type Db = Sql;

/** Opens a connection pool; bigint columns (amounts) come back as numbers, safe below 2^53. */
export const connect = (url: string, options: { max?: number } = {}): Db =>
  postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    types: {
      bigint: {
        to: 20,
        from: [20],
        serialize: (value: number | bigint) => String(value),
        parse: (value: string) => Number(value),
      },
    },
  });
