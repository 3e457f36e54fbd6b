import { Kafka } from 'kafkajs';
import { NoteError, NoteVerifier, openNote, parseAuditRecord, parseCheckpoint, SignedCheckpoint } from '@lethe/certificates';
import { logEnds, scanLog } from '../log-scan';

export interface CheckpointsRead {
  byPartition: Map<number, SignedCheckpoint[]>;
  /** The first audit record that is not a checkpoint of this log signed by the key: nothing else can be trusted. */
  invalid?: { auditOffset: string; detail: string };
  count: number;
}

/**
 * Every checkpoint on the audit topic, each opened with one of the verifier keys and checked to name a
 * partition of `logTopic` (the log the checkpointer chained, whatever copy is verified).
 */
export async function readCheckpoints(kafka: Kafka, auditTopic: string, logTopic: string, verifiers: NoteVerifier[]): Promise<CheckpointsRead> {
  const byPartition = new Map<number, SignedCheckpoint[]>();
  const read: CheckpointsRead = { byPartition, count: 0 };
  if (!(await topicExists(kafka, auditTopic))) return read; // no checkpointer ever ran here
  const origin = new RegExp(`^lethe/${logTopic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(0|[1-9][0-9]{0,5})$`);
  await scanLog(kafka, {
    topic: auditTopic,
    ends: await logEnds(kafka, auditTopic),
    concurrency: 1,
    onRecords: async (_partition, messages) => {
      for (const message of messages) {
        if (read.invalid) return;
        try {
          const { note, entries } = parseAuditRecord(message.value);
          const checkpoint = parseCheckpoint(openNote(note, verifiers));
          const partition = origin.exec(checkpoint.origin)?.[1];
          if (partition === undefined) throw new NoteError(`its origin names another log than ${logTopic}`);
          const list = byPartition.get(Number(partition)) ?? [];
          list.push({ size: checkpoint.size, hash: checkpoint.hash, auditOffset: message.offset, entries });
          byPartition.set(Number(partition), list);
          read.count += 1;
        } catch (error) {
          if (!(error instanceof NoteError)) throw error;
          read.invalid = { auditOffset: message.offset, detail: error.message };
        }
      }
    },
  });
  return read;
}

async function topicExists(kafka: Kafka, topic: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).includes(topic);
  } finally {
    await admin.disconnect();
  }
}
