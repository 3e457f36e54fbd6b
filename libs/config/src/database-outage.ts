import { errorCode } from './error-code';
import { databaseError } from './safe-error';

/** Socket-level failures: the server (PostgreSQL, Redis) may answer later. */
export const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE']);

/**
 * node-postgres reports its own timeouts and dropped connections by message only; a client whose
 * connection failed refuses every later query as "not queryable".
 */
const TRANSIENT_CLIENT_MESSAGES = [/timeout exceeded when trying to connect/i, /connection terminated/i, /query read timeout/i, /connection error and is not queryable/i];

/**
 * SQLSTATE classes worth retrying: connection (08), transaction rollback such as deadlock or
 * serialization failure (40), insufficient resources (53), lock not available (55), operator
 * intervention such as statement timeout or shutdown (57), system error (58).
 */
export const RETRYABLE_SQLSTATE_CLASSES = new Set(['08', '40', '53', '55', '57', '58']);

/** True when node-postgres failed only by message: a dropped connection or its own timeout. */
export function isTransientClientFailure(error: unknown): boolean {
  return error instanceof Error && TRANSIENT_CLIENT_MESSAGES.some((pattern) => pattern.test(error.message));
}

/**
 * The server errors that mean it cannot answer now, not that the call was wrong: connection
 * failures (class 08, but a protocol violation, 08P01, is a bug of ours), insufficient resources
 * (53), shutting down, crashed, starting up or closing an idle session (57P01-57P03, 57P05), and
 * the conflicts a retry resolves (serialization failure, deadlock, lock not available). A
 * cancelled statement (57014) or a system error (58) is left out: it may be a query of ours.
 */
function isOutageSqlState(code: string): boolean {
  if (code === '08P01') return false;
  return code.startsWith('08') || code.startsWith('53') || ['57P01', '57P02', '57P03', '57P05', '40001', '40P01', '55P03'].includes(code);
}

/**
 * True when a database call failed because the database could not answer now (unreachable,
 * restarting, connections terminated, out of resources, a conflict worth retrying), not because
 * of what was asked: the same call may pass later. Looks through TypeORM's QueryFailedError; a
 * SQLSTATE counts only on an error the server sent (it has a severity).
 */
export function isDatabaseOutage(error: unknown): boolean {
  const sent = error instanceof Error ? databaseError(error) : null;
  if (sent) return isOutageSqlState(sent.code);
  return [error, (error as { driverError?: unknown } | null)?.driverError].some((candidate) => {
    const code = errorCode(candidate);
    return (code !== undefined && NETWORK_CODES.has(code)) || isTransientClientFailure(candidate);
  });
}
