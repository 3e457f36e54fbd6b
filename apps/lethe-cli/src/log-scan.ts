import { randomUUID } from 'node:crypto';
import { Kafka, KafkaMessage } from 'kafkajs';
import { topicOffsets } from '@lethe/kafka';

export interface PartitionEnd {
  partition: number;
  /** The offset one past the last record as of the scan's start. */
  end: bigint;
}

/**
 * Where each partition of `topic` ends now; a log that does not start at offset 0 lost records, and a scan of it cannot be whole
 * (unless `trimmed` is allowed: `verify-log` reads what is left, to say what is missing).
 */
export async function logEnds(kafka: Kafka, topic: string, trimmed: 'refuse' | 'allow' = 'refuse'): Promise<PartitionEnd[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await topicOffsets(admin, topic);
    const truncated = offsets.find((p) => BigInt(p.low) > 0n);
    if (truncated && trimmed === 'refuse') throw new Error(`${topic} partition ${truncated.partition} starts at offset ${truncated.low}: records were deleted, so the log cannot be read from offset 0`);
    return offsets.map((p) => ({ partition: p.partition, end: BigInt(p.high) })).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

export interface ScanOptions {
  topic: string;
  /** The partitions to read and where to stop, from `logEnds`; others are paused at once. */
  ends: PartitionEnd[];
  /** Partitions handled at the same time (each in offset order). */
  concurrency?: number;
  /** Called with each partition's records in offset order, one batch at a time; the next batch of that partition waits for it. */
  onRecords: (partition: number, messages: KafkaMessage[]) => Promise<void>;
}

/**
 * Reads partitions of `topic` from offset 0 to the ends given, with a throwaway consumer group
 * that commits nothing: a scan is read-only on the log and leaves no position behind.
 */
export async function scanLog(kafka: Kafka, { topic, ends, concurrency = 3, onRecords }: ScanOptions): Promise<void> {
  const pending = new Map(ends.filter((p) => p.end > 0n).map((p) => [p.partition, p.end]));
  if (pending.size === 0) return;
  const consumer = kafka.consumer({ groupId: `lethe.cli-scan.${randomUUID()}`, allowAutoTopicCreation: false, maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((done, failed) => {
      let broken = false;
      const fail = (error: Error) => {
        broken = true;
        failed(error);
      };
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) fail(payload.error);
      });
      consumer
        .run({
          autoCommit: false,
          partitionsConsumedConcurrently: concurrency,
          eachBatch: async ({ batch, pause, heartbeat }) => {
            const end = pending.get(batch.partition);
            if (broken) return;
            if (end === undefined) {
              pause(); // not asked for, or read to its end already
              return;
            }
            const messages = batch.messages.filter((m) => BigInt(m.offset) < end);
            try {
              if (messages.length > 0) await onRecords(batch.partition, messages);
              await heartbeat();
            } catch (error) {
              return fail(error as Error);
            }
            if (BigInt(batch.lastOffset()) >= end - 1n) {
              pending.delete(batch.partition);
              pause();
              if (pending.size === 0) done();
            }
          },
        })
        .catch(fail);
    });
  } finally {
    await consumer.disconnect();
  }
}

export interface FollowOptions {
  topic: string;
  /** Where to start on each partition (e.g. the ends before a write); partitions not named start at 0. */
  from: Map<number, bigint>;
  onRecords: (partition: number, messages: KafkaMessage[]) => Promise<void>;
  /** Checked after each batch: true ends the follow. */
  done: () => boolean;
  timeoutMs: number;
}

/**
 * Reads `topic` from the positions given and keeps reading new records until `done()` or the
 * time is up (resolves false then), with a throwaway group that commits nothing.
 */
export async function followLog(kafka: Kafka, { topic, from, onRecords, done, timeoutMs }: FollowOptions): Promise<boolean> {
  if (done()) return true;
  const consumer = kafka.consumer({ groupId: `lethe.cli-follow.${randomUUID()}`, allowAutoTopicCreation: false });
  await consumer.connect();
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<boolean>((finished, failed) => {
      timer = setTimeout(() => finished(false), timeoutMs);
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) failed(payload.error);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const start = from.get(batch.partition) ?? 0n;
            const messages = batch.messages.filter((m) => BigInt(m.offset) >= start);
            try {
              if (messages.length > 0) await onRecords(batch.partition, messages);
              await heartbeat();
            } catch (error) {
              return failed(error as Error);
            }
            if (done()) finished(true);
          },
        })
        .then(() => {
          for (const [partition, offset] of from) consumer.seek({ topic, partition, offset: offset.toString() });
        })
        .catch(failed);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}
