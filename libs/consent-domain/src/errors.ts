/**
 * One error type for every refusal of the domain. The `code` is what the HTTP edge maps to a
 * status (validation → 400, not_found → 404, illegal_state → 409, concurrency → 412); the
 * `reason` is a stable machine word clients can branch on ('objection_active').
 *
 * Messages are logged and returned to callers, so they name fields and rules, never values:
 * no subject ids, purposes typed by a user, e-mails or free text.
 */
export type DomainErrorCode = 'validation' | 'illegal_state' | 'not_found' | 'concurrency';

export interface DomainErrorDetails {
  /** The input field at fault, e.g. 'purposes[2]', so a form can point at it. */
  field?: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly field: string | null;

  constructor(
    readonly code: DomainErrorCode,
    readonly reason: string,
    message: string = reason,
    details: DomainErrorDetails = {},
  ) {
    super(message);
    this.field = details.field ?? null;
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}
