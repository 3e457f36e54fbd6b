import { randomUUID } from 'node:crypto';
import type { Endpoints } from '@lethe/config';
import { ConsentEvent, ConsentEventCodec, subjectsFor, TopicNames } from '@lethe/contracts';
import { ACKS_ALL, createKafka, createSafeProducer, ensureTopics } from '@lethe/kafka';
import { log, rate } from './common';

export interface LogFill {
  total: number;
  /** About this many bytes per Avro value, padded in policy_version. */
  valueBytes: number;
  partitions: number;
}

/**
 * Writes `total` grants and withdrawals for total/10 subjects onto a new consent.log, so that no two
 * events of a subject are adjacent on a partition (each batch touches as many subjects as it can):
 * the adversarial input of the projector and replay benchmarks. Returns the mean value size.
 */
export async function fillConsentLog(endpoints: Endpoints, topics: TopicNames, { total, valueBytes, partitions }: LogFill): Promise<number> {
  const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'bench-producer' });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, { names: topics, partitions, replicationFactor: 1, minInsyncReplicas: 1 });
  await admin.disconnect();
  const codec = ConsentEventCodec.forRegistry(endpoints.schemaRegistryUrl, subjectsFor(topics).consentLogValue);
  const producer = createSafeProducer(kafka);
  await producer.connect();

  const subjects = Math.max(1, Math.floor(total / 10));
  const sample = await codec.encode(event(0, ''));
  const padding = 'x'.repeat(Math.max(0, valueBytes - sample.length));
  const started = Date.now();
  let bytes = 0;
  for (let sent = 0; sent < total; ) {
    const size = Math.min(5_000, total - sent);
    const messages = await Promise.all(
      Array.from({ length: size }, async (_, i) => {
        const e = event((sent + i) % subjects, padding);
        const value = await codec.encode(e);
        bytes += value.length;
        return { key: e.subject_id, value };
      }),
    );
    await producer.send({ topic: topics.consentLog, acks: ACKS_ALL, messages });
    sent += size;
    if (sent % 100_000 === 0 || sent === total) log(`produced ${sent}/${total}`);
  }
  await producer.disconnect();
  log(`produced ${total} events (${Math.round(bytes / total)} bytes each on average) at ${rate(total, Date.now() - started)} events/s`);
  return Math.round(bytes / total);

  function event(n: number, pad: string): ConsentEvent {
    const now = Date.now();
    return {
      event_id: randomUUID(),
      subject_id: `subj-${n.toString().padStart(8, '0')}`,
      occurred_at: now,
      recorded_at: now,
      source: 'WEB',
      actor: 'bench',
      jurisdiction: 'GDPR',
      policy_version: `2026-01${pad}`,
      purposes: ['marketing', 'analytics'],
      correlation_id: null,
      causation_id: null,
      identities: null,
      payload: { type: n % 2 ? 'ConsentWithdrawn' : 'ConsentGranted' },
    };
  }
}
