/**
 * Base of every domain error in Palisade. Each bounded context declares its
 * own subclass with a closed union of codes; the server maps codes to HTTP
 * status in exactly one table, so a code is a stable, documented contract.
 *
 * The message is written for the operator or device on the other end: it
 * never contains secrets, keys, tokens or full CSRs.
 */
export class PalisadeError<Code extends string = string> extends Error {
  readonly code: Code;
  /** Machine-readable context safe to show to the client (field names, limits, retry hints). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: Code, message: string, options?: { details?: Record<string, unknown>; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** One failing field of a request, named by its JSON pointer. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}
