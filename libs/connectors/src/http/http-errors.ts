import { ConnectorError } from '../connector';
import { errorCode } from '@lethe/config';

/**
 * Statuses a processor may recover from by itself: rate limited, timed out, or failing on its
 * side. Every other 4xx says the request itself is wrong, and sending it again would not help.
 */
const RETRYABLE_STATUSES = new Set([408, 425, 429]);

export function statusError(system: string, doing: string, status: number): ConnectorError {
  const retryable = status >= 500 || RETRYABLE_STATUSES.has(status);
  return new ConnectorError(`http connector "${system}": ${doing} failed: the processor answered ${status}`, retryable);
}

/**
 * Turns what fetch threw into a ConnectorError. fetch wraps socket failures in a TypeError whose
 * cause carries the code; only the code is quoted, since the cause's message names host and port.
 */
export function transportError(system: string, doing: string, error: unknown, timeoutMs: number): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const prefix = `http connector "${system}": ${doing} failed`;
  // By name, not instanceof: fetch's errors and DOMExceptions may come from another realm.
  const name = typeof error === 'object' && error !== null ? String((error as { name?: unknown }).name) : typeof error;
  if (name === 'TimeoutError' || name === 'AbortError') return new ConnectorError(`${prefix}: no answer within ${timeoutMs} ms`, true);
  const code = errorCode((error as { cause?: unknown })?.cause) ?? errorCode(error);
  if (code) return new ConnectorError(`${prefix}: cannot reach the processor (${code})`, true);
  // fetch reports other network failures (TLS, a reset mid-answer) as a bare "fetch failed".
  if (name === 'TypeError') return new ConnectorError(`${prefix}: cannot reach the processor`, true);
  return new ConnectorError(`${prefix}: unexpected ${name}`, false);
}
