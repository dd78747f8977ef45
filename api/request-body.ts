import { Cause, Exit, Schema } from "effect";
import { firstFieldProblem } from "../domain/schema-issues.ts";
import { ApiError } from "./errors.ts";

/** The body as JSON, or a 400 malformed_json. */
export const readJson = async (text: string): Promise<unknown> => {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("malformed_json", "The request body is not valid JSON");
  }
};

/** The body checked against its schema, or a 422 naming the first offending field. */
export const decode = <S extends Schema.Top>(schema: S, input: unknown): S["Type"] => {
  const exit = Schema.decodeUnknownExit(schema as never)(input, { errors: "all" });
  if (Exit.isSuccess(exit)) return exit.value as S["Type"];
  const error = Cause.findErrorOption(exit.cause);
  if (error._tag === "None" || !Schema.isSchemaError(error.value)) throw Cause.squash(exit.cause);
  const problem = firstFieldProblem(error.value.issue);
  throw new ApiError(problem.missing ? "missing_field" : "invalid_field", problem.description, problem.field);
};

/** Gives up waiting (503) while the work itself goes on: retrying with the same Idempotency-Key joins it. */
export const withTimeout = <A>(promise: Promise<A>, ms: number): Promise<A> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(
        () =>
          reject(
            new ApiError(
              "service_unavailable",
              "PayGov could not record the payment in time; retry with the same Idempotency-Key",
            ),
          ),
        ms,
      ).unref(),
    ),
  ]);
