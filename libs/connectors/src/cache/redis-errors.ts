import { ConnectorError } from '../connector';
import { errorCode, NETWORK_CODES } from '@lethe/config';

/** ioredis' own errors for a connection that is down or a command that got no answer in time. */
const UNREACHABLE_MESSAGES = [/max retries per request/i, /connection is closed/i, /command timed out/i, /stream isn't writeable/i];

/** Reply prefixes of a server that is busy, loading, failing over or out of memory for a moment. */
const RETRYABLE_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'READONLY', 'TRYAGAIN', 'CLUSTERDOWN', 'OOM']);

/**
 * Turns whatever ioredis threw into a ConnectorError. A reply error is reported by its prefix
 * only (`WRONGTYPE`, `NOAUTH`, …): Redis quotes a command's arguments in some messages, and those
 * arguments are keys holding subject ids. The URL is never quoted either (it may hold a password).
 */
export function toConnectorError(error: unknown, system: string, doing: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const prefix = `cache connector "${system}": ${doing} failed`;
  const code = errorCode(error);
  if (code && NETWORK_CODES.has(code)) return new ConnectorError(`${prefix}: cannot reach redis (${code})`, true);

  if (error instanceof Error && error.name === 'ReplyError') {
    const reply = /^[A-Z]+/.exec(error.message)?.[0] ?? 'ERR';
    return new ConnectorError(`${prefix}: redis replied ${reply}`, RETRYABLE_REPLIES.has(reply));
  }
  if (error instanceof Error && (error.name === 'MaxRetriesPerRequestError' || UNREACHABLE_MESSAGES.some((m) => m.test(error.message)))) {
    return new ConnectorError(`${prefix}: cannot reach redis (${error.name})`, true);
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new ConnectorError(`${prefix}: unexpected ${name}`, false);
}

