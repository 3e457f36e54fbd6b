import { ConnectorError } from '../connector';
import { errorCode, isTransientClientFailure, NETWORK_CODES, RETRYABLE_SQLSTATE_CLASSES } from '@lethe/config';

/**
 * Classes whose server messages name only objects (tables, columns, constraints, roles), never
 * row values. Data exceptions (22) quote the offending value, so their text is never passed on.
 */
const SAFE_MESSAGE_CLASSES = new Set(['08', '23', '28', '3D', '3F', '40', '42', '53', '55', '57']);

interface DatabaseErrorFields {
  code?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/**
 * Turns whatever the driver threw into a ConnectorError: retryable when the database may answer
 * later, not when the configuration and the database disagree. The message names the system,
 * what was being done and the objects involved, and never a value from a row or the request.
 */
export function toConnectorError(error: unknown, system: string, doing: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const prefix = `sql connector "${system}": ${doing} failed`;
  const code = errorCode(error);

  if (code && NETWORK_CODES.has(code)) return new ConnectorError(`${prefix}: cannot reach the database (${code})`, true);
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const fields = error as DatabaseErrorFields;
    const sqlClass = code.slice(0, 2);
    const where = [
      fields.table && `table "${fields.table}"`,
      fields.column && `column "${fields.column}"`,
      fields.constraint && `constraint "${fields.constraint}"`,
    ].filter(Boolean);
    const message = SAFE_MESSAGE_CLASSES.has(sqlClass) && error instanceof Error ? `: ${error.message}` : '';
    const context = where.length > 0 ? ` (${where.join(', ')})` : '';
    return new ConnectorError(`${prefix}: SQLSTATE ${code}${message}${context}`, RETRYABLE_SQLSTATE_CLASSES.has(sqlClass));
  }
  if (error instanceof Error && isTransientClientFailure(error)) {
    return new ConnectorError(`${prefix}: ${error.message}`, true);
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new ConnectorError(`${prefix}: unexpected ${name}`, false);
}

