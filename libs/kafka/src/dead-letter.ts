import { IHeaders, KafkaMessage, Message, Producer } from 'kafkajs';
import { HEADERS } from '@lethe/contracts';
import { sendInChunks } from './send-in-chunks';

export interface DeadLetter {
  topic: string;
  partition: number;
  message: KafkaMessage;
  groupId: string;
  /** Why it could not be processed, as a short code; must hold no personal data. */
  reason: string;
  /** The reason explained; no personal data either. */
  detail?: string;
}

/**
 * Parks a record that can never be processed on consent.dlq (`dlqTopic`), unchanged, with where it came
 * from and why in headers. The caller commits past it only after this resolves.
 */
export async function sendToDeadLetter(producer: Producer, dlqTopic: string, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await sendInChunks(
    producer,
    dlqTopic,
    letters.map(({ topic, partition, message, groupId, reason, detail }) => ({
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        [HEADERS.dlqReason]: reason,
        ...(detail && { [HEADERS.dlqDetail]: detail }),
        [HEADERS.dlqSourceTopic]: topic,
        [HEADERS.dlqSourcePartition]: String(partition),
        [HEADERS.dlqSourceOffset]: message.offset,
        [HEADERS.dlqConsumerGroup]: groupId,
      },
    })),
  );
}

/** A record of consent.dlq, as its headers describe it: a dead letter, or the marker of a re-drive. */
export type DlqRecord =
  | { kind: 'letter'; reason: string; detail?: string; source: { topic: string; partition: number; offset: string }; groupId: string; eventType?: string; bytes: number }
  | { kind: 'redrive-marker'; of: string; to: string };

const DLQ_HEADERS = new Set<string>([HEADERS.dlqReason, HEADERS.dlqDetail, HEADERS.dlqSourceTopic, HEADERS.dlqSourcePartition, HEADERS.dlqSourceOffset, HEADERS.dlqConsumerGroup]);

export function readDlqRecord(message: KafkaMessage): DlqRecord {
  const header = (name: string) => message.headers?.[name]?.toString();
  const of = header(HEADERS.dlqRedriveOf);
  if (of) return { kind: 'redrive-marker', of, to: header(HEADERS.dlqRedrivenTo) ?? '?' };
  return {
    kind: 'letter',
    reason: header(HEADERS.dlqReason) ?? 'unknown',
    detail: header(HEADERS.dlqDetail),
    source: { topic: header(HEADERS.dlqSourceTopic) ?? '?', partition: Number(header(HEADERS.dlqSourcePartition)), offset: header(HEADERS.dlqSourceOffset) ?? '?' },
    groupId: header(HEADERS.dlqConsumerGroup) ?? '?',
    eventType: header(HEADERS.eventType),
    bytes: message.value?.length ?? 0,
  };
}

/** The dead letter's record as it was first written: its key, bytes and original headers, and where it was re-driven from. */
export function redrivenCopy(message: KafkaMessage, from: string): Message {
  const original: IHeaders = Object.fromEntries(Object.entries(message.headers ?? {}).filter(([name]) => !DLQ_HEADERS.has(name)));
  return { key: message.key, value: message.value, headers: { ...original, [HEADERS.redrivenFrom]: from } };
}

/** Written on consent.dlq once a letter's record is back on consent.log, so it is never re-driven twice. */
export function redriveMarker(letterId: string, to: string): Message {
  return { key: null, value: null, headers: { [HEADERS.dlqRedriveOf]: letterId, [HEADERS.dlqRedrivenTo]: to } };
}
