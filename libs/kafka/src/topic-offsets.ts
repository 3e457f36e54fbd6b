import { Admin } from 'kafkajs';

/**
 * Errors of an admin whose cached metadata names a leader that moved (a broker was killed, or came
 * back and took its partitions again). kafkajs' fetchTopicOffsets refreshes its metadata only for
 * UNKNOWN_TOPIC_OR_PARTITION and gives up on these, and its cache lives for metadataMaxAge (five
 * minutes), so asking again gives the same error; reconnecting the admin drops the cache.
 */
const LEADERSHIP_MOVED = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', 'UNKNOWN_TOPIC_OR_PARTITION', 'REPLICA_NOT_AVAILABLE']);
const CANNOT_REACH = new Set(['KafkaJSConnectionError', 'KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound']);

/** True when `error`, or an error it wraps, says a partition's leader moved or its broker cannot be reached. */
export function leadershipMoved(error: unknown): boolean {
  for (let e = error as { type?: unknown; name?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.type === 'string' && LEADERSHIP_MOVED.has(e.type)) return true;
    if (typeof e.name === 'string' && CANNOT_REACH.has(e.name)) return true;
  }
  return false;
}

export type TopicOffsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

/**
 * `admin.fetchTopicOffsets(topic)` that outlasts a leader election: on a leadership error it
 * reconnects the admin (fresh metadata) and asks again, until `patienceMs` has passed.
 */
export async function topicOffsets(admin: Admin, topic: string, patienceMs = 60_000): Promise<TopicOffsets> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (!leadershipMoved(error) || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
      await admin.disconnect();
      await admin.connect().catch(() => undefined); // a broker still down: the next ask says so, until the deadline
    }
  }
}
