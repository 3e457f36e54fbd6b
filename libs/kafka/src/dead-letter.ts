import { KafkaMessage, Producer } from 'kafkajs';
import { HEADERS, TOPICS } from '@lethe/contracts';
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
 * Parks a record that can never be processed on consent.dlq, unchanged, with where it came
 * from and why in headers. The caller commits past it only after this resolves.
 */
export async function sendToDeadLetter(producer: Producer, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return;
  await sendInChunks(
    producer,
    TOPICS.consentDlq,
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
