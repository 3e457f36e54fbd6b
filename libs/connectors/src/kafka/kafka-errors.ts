import { ConnectorError } from '../connector';

/** kafkajs errors of a cluster that is unreachable, electing a leader or slow for a moment. */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
  'BrokerTimeoutError',
]);

/** Our own bound on a wait (see `withTimeout`): the brokers did not answer in time. */
export class BrokerTimeoutError extends Error {
  override readonly name = 'BrokerTimeoutError';
}

/**
 * Turns whatever kafkajs threw into a ConnectorError: retryable when the cluster may answer
 * later (kafkajs marks its protocol errors `retriable`), not when it refuses (authorization,
 * invalid record). The message holds the error's name and protocol type, never a record key.
 */
export function toConnectorError(error: unknown, system: string, doing: string): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const prefix = `kafka connector "${system}": ${doing} failed`;
  if (!(error instanceof Error)) return new ConnectorError(`${prefix}: unexpected ${typeof error}`, false);
  const { type, retriable } = error as { type?: unknown; retriable?: unknown };
  const detail = typeof type === 'string' ? `${error.name} ${type}` : error.name;
  if (TRANSIENT_NAMES.has(error.name)) return new ConnectorError(`${prefix}: cannot reach the brokers (${detail})`, true);
  return new ConnectorError(`${prefix}: ${detail}`, retriable === true);
}

/** Rejects with BrokerTimeoutError when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BrokerTimeoutError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
