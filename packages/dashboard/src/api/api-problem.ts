/** One failing member of a request body, by JSON pointer (RFC 6901), as the panel names it. */
export interface PointerProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * An RFC 9457 problem the panel answered with. `problems` merges the two
 * shapes the API uses: domain validation (`problems`: pointers into the
 * document, e.g. RULE_INVALID) and request validation (`errors`: pointers
 * into `/body`, `/querystring`).
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly problems: readonly PointerProblem[];
  readonly retryAfter: number | undefined;

  constructor(status: number, body: unknown, retryAfter?: number) {
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const code = typeof record.code === 'string' ? record.code : `HTTP_${status}`;
    const detail = typeof record.detail === 'string' ? record.detail : `the panel answered ${status}`;
    super(`${code}: ${detail}`);
    this.name = 'ApiProblem';
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.problems = pointerProblems(record.problems ?? record.errors);
    this.retryAfter = retryAfter;
  }
}

function pointerProblems(value: unknown): PointerProblem[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const { path, message } = item as Record<string, unknown>;
    return typeof path === 'string' && typeof message === 'string' ? [{ path, message }] : [];
  });
}

/** A message for people: the problem's detail, or what went wrong on the way. */
export function describeError(error: unknown): string {
  if (error instanceof ApiProblem) return error.detail;
  if (error instanceof TypeError) return 'The panel could not be reached. Check the connection and retry.';
  return error instanceof Error ? error.message : String(error);
}
