import { Kafka, logLevel, Producer } from 'kafkajs';
import { acknowledgingEveryPartition } from './complete-sends';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  /** kafkajs' own log level; its messages carry no record contents. */
  logLevel?: logLevel;
  /** How often a failed request (a connection first of all) is retried; a command at a terminal wants fewer than an app. */
  retries?: number;
}

export function createKafka({ brokers, clientId, logLevel: level = logLevel.WARN, retries = 8 }: KafkaClientOptions): Kafka {
  if (brokers.length === 0) throw new Error('createKafka: at least one broker is required');
  return new Kafka({ clientId, brokers, logLevel: level, retry: { retries, initialRetryTime: 200 } });
}

/**
 * The only way Lethe writes to Kafka: idempotent, one request in flight (so retries never
 * reorder a subject's events), and every send must ask for acks=all (see `ACKS_ALL`).
 */
export function createSafeProducer(kafka: Kafka): Producer {
  // A send resolves only once every partition it wrote to acknowledged (complete-sends.ts): kafkajs
  // alone may drop a partition whose leader moved during the send.
  return acknowledgingEveryPartition((createPartitioner) =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // The default partitioner (murmur2 of the key), noting where it put each record.
      createPartitioner,
      // The idempotent producer must keep retrying to keep its sequence; callers bound their
      // own wait (a late success is a duplicate the fold ignores, never a loss).
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 30_000 },
    }),
  );
}

/** Wait for every in-sync replica before a write counts as done. */
export const ACKS_ALL = -1;
