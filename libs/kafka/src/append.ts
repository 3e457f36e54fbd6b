import { Message, Producer } from 'kafkajs';
import { ConsentEvent, ConsentEventCodec, HEADERS } from '@lethe/contracts';
import { GroupCommit } from './group-commit';
import { sendInChunks } from './send-in-chunks';

/**
 * Events as consent.log records: Avro through the registry, keyed by subject, with the event type
 * in a header so consumers can skip what they do not handle without decoding it.
 */
export function consentLogMessages(codec: ConsentEventCodec, events: ConsentEvent[]): Promise<Message[]> {
  return Promise.all(
    events.map(async (event) => ({
      key: event.subject_id,
      value: await codec.encode(event),
      headers: { [HEADERS.eventType]: event.payload.type },
    })),
  );
}

/**
 * Appends events to consent.log (`topic`, under the configured prefix). Resolves once every
 * in-sync replica has them (acks=all).
 */
export async function appendToConsentLog(producer: Producer, codec: ConsentEventCodec, topic: string, events: ConsentEvent[]): Promise<void> {
  if (events.length === 0) return;
  await sendInChunks(producer, topic, await consentLogMessages(codec, events));
}

/**
 * Appends to consent.log through group commit: appends made while a request is in flight go out
 * together in the next one (one send for many callers), each resolving once its own events are on
 * the log (acks=all). For a process whose many concurrent steps each append a small fact.
 */
export function groupAppenderToConsentLog(producer: Producer, codec: ConsentEventCodec, topic: string): (events: ConsentEvent[]) => Promise<void> {
  const commit = GroupCommit.forProducer(producer, topic);
  return async (events) => commit.append(await consentLogMessages(codec, events));
}
