import { Message, Producer } from 'kafkajs';
import { ACKS_ALL } from './client';

/** Well under the broker's default message.max.bytes (1 MiB), which one record batch may not exceed. */
export const MAX_REQUEST_BYTES = 512 * 1024;

/**
 * Sends messages with acks=all in requests small enough for the broker: records with the same
 * key land in one partition's batch, so a large fan-out (thousands of subjects of one partition)
 * would otherwise exceed the broker's limit and be refused whole.
 */
export async function sendInChunks(producer: Producer, topic: string, messages: Message[], maxBytes = MAX_REQUEST_BYTES) {
  for (const chunk of chunksOf(messages, maxBytes)) await producer.send({ topic, acks: ACKS_ALL, messages: chunk });
}

/** Consecutive runs of the messages, in order, each under `maxBytes` (or a single larger message). */
export function chunksOf(messages: Message[], maxBytes = MAX_REQUEST_BYTES): Message[][] {
  const chunks: Message[][] = [];
  let chunk: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(message);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** About what a message adds to a produce request. */
export function messageBytes({ key, value, headers }: Message): number {
  const headerBytes = Object.entries(headers ?? {}).reduce((n, [k, v]) => n + k.length + String(v ?? '').length, 0);
  return (key?.length ?? 0) + (value?.length ?? 0) + headerBytes + 64;
}
