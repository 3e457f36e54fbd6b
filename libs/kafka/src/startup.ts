import { randomUUID } from 'node:crypto';
import { Kafka } from 'kafkajs';

/**
 * Protocol errors of a broker that answers but has not finished starting: a fresh broker creates
 * and loads __consumer_offsets, and its producer-id manager waits for the controller, so the first
 * InitProducerId and JoinGroup requests get these for a while; a topic just created (by this app
 * or another one starting beside it) is unknown to a broker's metadata until the controller's
 * update reaches it. They end by themselves; kafkajs retries them a fixed number of times only,
 * which a loaded machine outlasts.
 */
const STILL_STARTING = new Set([
  'GROUP_LOAD_IN_PROGRESS', // "The coordinator is loading and hence can't process requests for this group"
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'LEADER_NOT_AVAILABLE',
  'NOT_CONTROLLER',
  'UNKNOWN_TOPIC_OR_PARTITION', // "This server does not host this topic-partition"
]);

/** True when `error`, or an error it wraps, says the broker is still starting. */
export function brokerStillStarting(error: unknown): boolean {
  for (let e = error as { type?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.type === 'string' && STILL_STARTING.has(e.type)) return true;
  }
  return false;
}

/** For `reach` (libs/config): retry a starting broker's errors until the start-up deadline. */
export function kafkaPatience(deadlineMs: number) {
  return { deadlineMs, stillStarting: brokerStillStarting };
}

/**
 * One look at whether the broker serves what Lethe's apps do first, beyond answering metadata:
 * an idempotent producer initialises (InitProducerId) and a consumer joins a group of its own
 * (JoinGroup and SyncGroup on a loaded coordinator). Rejects with what failed.
 */
export async function servesProducersAndGroups(kafka: Kafka, timeoutMs = 10_000): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  try {
    await withTimeout('an idempotent producer to initialise', timeoutMs, producer.connect());
  } finally {
    await producer.disconnect();
  }

  // A group with no topics is enough: the join and sync go through the same coordinator.
  const consumer = kafka.consumer({ groupId: `lethe-readiness-${randomUUID()}`, maxWaitTimeInMs: 100 });
  try {
    const joined = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, () => resolve());
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [/^$/] });
    await consumer.run({ eachMessage: async () => undefined });
    await withTimeout('a consumer to join a group', timeoutMs, joined);
  } finally {
    await consumer.disconnect();
  }
}

/** Repeats `servesProducersAndGroups` until it passes or `deadlineMs` has passed. */
export async function waitUntilKafkaServes(kafka: Kafka, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await servesProducersAndGroups(kafka, Math.max(1_000, Math.min(10_000, deadline - Date.now())));
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new Error(`Kafka did not serve producers and consumer groups within ${deadlineMs / 1000} s: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function withTimeout<T>(what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
