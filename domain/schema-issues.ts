import { SchemaIssue } from "effect";

const formatIssue = SchemaIssue.makeFormatterDefault();

/** The first problem found in a request body, in the API's terms. */
export interface FieldProblem {
  /** Dotted path such as `lines.0.amount`; empty for the body itself. */
  readonly field: string;
  readonly missing: boolean;
  readonly description: string;
}

// Walks to the first leaf so that the error names one field, as GOV.UK Pay's API does;
// portals fix one thing at a time and a stable single `field` is easy to act on.
const firstLeaf = (
  issue: SchemaIssue.Issue,
  path: ReadonlyArray<PropertyKey>,
): { issue: SchemaIssue.Issue; path: ReadonlyArray<PropertyKey> } => {
  switch (issue._tag) {
    case "Pointer":
      return firstLeaf(issue.issue, [...path, ...issue.path]);
    case "Composite":
    case "AnyOf":
      return issue.issues.length > 0 ? firstLeaf(issue.issues[0]!, path) : { issue, path };
    case "Encoding":
      return firstLeaf(issue.issue, path);
    case "Filter":
      // A filter with its own message speaks for the whole check; otherwise descend.
      return SchemaIssue.defaultCheckHook(issue) !== undefined
        ? { issue, path }
        : firstLeaf(issue.issue, path);
    default:
      return { issue, path };
  }
};

/** Reduces a schema failure to the first offending field and a sentence about it. */
export const firstFieldProblem = (issue: SchemaIssue.Issue): FieldProblem => {
  const leaf = firstLeaf(issue, []);
  const field = leaf.path.map(String).join(".");
  if (leaf.issue._tag === "MissingKey") {
    return { field, missing: true, description: `Missing mandatory field: ${field}` };
  }
  if (leaf.issue._tag === "UnexpectedKey") {
    return { field, missing: false, description: `Unexpected field: ${field}` };
  }
  const detail = formatIssue(leaf.issue).split("\n")[0] ?? "invalid value";
  return { field, missing: false, description: field ? `Invalid ${field}: ${detail}` : detail };
};
