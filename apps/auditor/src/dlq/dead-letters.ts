import { randomUUID } from 'node:crypto';
import { Kafka, KafkaMessage } from 'kafkajs';
import { DlqRecord, readDlqRecord, topicOffsets } from '@lethe/kafka';

export type LetterRecord = Extract<DlqRecord, { kind: 'letter' }>;

export interface Letter {
  /** partition:offset on the DLQ, how operators name a letter. */
  id: string;
  record: LetterRecord;
  message: KafkaMessage;
  /** Where its record was re-driven to (topic:partition:offset), if it was. */
  redrivenTo?: string;
}

/** The longest the DLQ may take to be read to its end. */
const READ_DEADLINE_MS = 30_000;

/**
 * Every dead letter on `topic` up to its end as of now, each with its re-drive if a marker says
 * it had one. Reads with a throwaway consumer group that commits nothing.
 */
export async function readDeadLetters(kafka: Kafka, topic: string): Promise<Letter[]> {
  const records = await readToEnd(kafka, topic);
  const redrives = new Map<string, string>();
  const letters: Letter[] = [];
  for (const { partition, message } of records) {
    const record = readDlqRecord(message);
    if (record.kind === 'redrive-marker') redrives.set(record.of, record.to);
    else letters.push({ id: `${partition}:${message.offset}`, record, message });
  }
  return letters.map((letter) => ({ ...letter, redrivenTo: redrives.get(letter.id) }));
}

async function readToEnd(kafka: Kafka, topic: string): Promise<{ partition: number; message: KafkaMessage }[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await topicOffsets(admin, topic).finally(() => admin.disconnect());
  const pending = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  const read: { partition: number; message: KafkaMessage }[] = [];
  if (pending.size === 0) return read;
  const consumer = kafka.consumer({ groupId: `lethe.dlq-reader.${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((done, failed) => {
      const timer = setTimeout(() => failed(new Error(`could not read ${topic} to its end within ${READ_DEADLINE_MS / 1000} s`)), READ_DEADLINE_MS);
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = pending.get(partition);
          if (end === undefined || BigInt(message.offset) >= end) return;
          read.push({ partition, message });
          if (BigInt(message.offset) < end - 1n) return;
          pending.delete(partition);
          if (pending.size === 0) done(clearTimeout(timer));
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return read.sort((a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)));
}
