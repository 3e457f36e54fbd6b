/**
 * Tells a PostgreSQL error caused by what a record holds from an outage. SQLSTATE classes 22
 * (data exception: a NUL in a jsonb string, a value out of range) and 23 (integrity constraint
 * violation) fail the same way however often the same rows are written, so the record must
 * leave the partition; anything else (connection lost, 08, 53, 57P, serialization failure or
 * deadlock 40, lock timeout) may pass and is retried.
 */
/** The dead-letter reason of a record the projection store refused; storeRefusal gives its detail. */
export const STORE_REFUSED = 'store_refused';

export function storeRefusal(error: unknown): string | undefined {
  const code = sqlState(error);
  if (!code || !(code.startsWith('22') || code.startsWith('23'))) return undefined;
  // The code only: PostgreSQL's message and detail may quote the value that was refused.
  return `the projection store refused the record (SQLSTATE ${code})`;
}

function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  const candidate = driverError?.code ?? code;
  return typeof candidate === 'string' && /^[0-9A-Z]{5}$/.test(candidate) ? candidate : undefined;
}
