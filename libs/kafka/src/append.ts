import { Producer } from 'kafkajs';
import { ConsentEvent, ConsentEventCodec, HEADERS } from '@lethe/contracts';
import { sendInChunks } from './send-in-chunks';

/**
 * Appends events to consent.log (`topic`, under the configured prefix): Avro through the registry, keyed by subject, with the event type
 * in a header so consumers can skip what they do not handle without decoding it. Resolves once
 * every in-sync replica has them (acks=all).
 */
export async function appendToConsentLog(producer: Producer, codec: ConsentEventCodec, topic: string, events: ConsentEvent[]): Promise<void> {
  if (events.length === 0) return;
  const messages = await Promise.all(
    events.map(async (event) => ({
      key: event.subject_id,
      value: await codec.encode(event),
      headers: { [HEADERS.eventType]: event.payload.type },
    })),
  );
  await sendInChunks(producer, topic, messages);
}
