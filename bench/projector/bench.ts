/**
 * Writes N consent events (about `valueBytes` each, Avro in the Confluent wire format) to
 * consent.log, then measures in the same run:
 *   1. the broker's own consumer (org.apache.kafka.tools.ConsumerPerformance) reading them, and
 *   2. the projector folding them into PostgreSQL (offsets in the same transactions),
 * and prints both rates and their ratio. Run through bench/run.sh (npm run bench:projector).
 */
import { randomUUID } from 'node:crypto';
import { endpointsFrom, topicSettingsFrom } from '@lethe/config';
import { ConsentEvent, ConsentEventCodec, subjectsFor } from '@lethe/contracts';
import { ACKS_ALL, createKafka, createSafeProducer, ensureTopics } from '@lethe/kafka';
import { loadProjectorConfig } from '../../apps/projector/src/config';
import { startProjector } from '../../apps/projector/src/runtime';
import { consumerPerfTest, log, rate } from '../common';

const total = Number(process.argv[2] ?? 1_000_000);
const valueBytes = Number(process.argv[3] ?? 300);
const partitions = 6;
const endpoints = endpointsFrom(process.env);
const topics = topicSettingsFrom(process.env).names;

async function produceEvents(): Promise<number> {
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

async function projectorRun(): Promise<{ overall: number; steady: number }> {
  const schema = `bench_${Date.now()}`;
  const config = { ...loadProjectorConfig(process.env), databaseSchema: schema, groupId: `bench-${randomUUID()}` };
  const started = Date.now();
  const running = await startProjector(
    config,
    (error) => {
      console.error(`[bench] projector stopped: ${error.message}`);
      process.exit(1);
    },
    'bench-projector',
  );
  let firstCommit = 0;
  let applied = 0;
  let lastReport = Date.now();
  for (;;) {
    const [row] = await running.db.query(`select coalesce(sum(next_offset), 0)::bigint as applied from consumer_offsets where group_id = $1`, [config.groupId]);
    applied = Number(row.applied);
    if (applied > 0 && firstCommit === 0) firstCommit = Date.now();
    if (applied >= total) break;
    if (Date.now() - lastReport >= 5_000) {
      lastReport = Date.now();
      log(`projector: ${applied}/${total} applied, ${rate(applied, lastReport - started)} events/s so far`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  const ended = Date.now();
  const elapsed = ended - started;
  await running.stop();
  const { openDatabase } = await import('@lethe/persistence');
  const db = await openDatabase({ url: config.endpoints.databaseUrl });
  await db.query(`drop schema if exists "${schema}" cascade`);
  await db.destroy();
  const overall = rate(total, elapsed);
  const steady = rate(total, ended - firstCommit);
  log(`projector: ${total} events in ${(elapsed / 1000).toFixed(1)} s = ${overall} events/s overall (start-up included), ${steady} events/s from its first commit`);
  return { overall, steady };
}

async function main(): Promise<void> {
  log(`${total} events of about ${valueBytes} bytes, ${partitions} partitions, broker ${endpoints.kafkaBrokers.join(',')}`);
  const bytes = await produceEvents();
  const perf = consumerPerfTest(endpoints, topics.consentLog, total);
  const projector = await projectorRun();
  console.log('');
  console.log(`| events | value bytes | kafka-consumer-perf-test (msg/s) | projector (events/s) | ratio |`);
  console.log(`| --- | --- | --- | --- | --- |`);
  console.log(`| ${total} | ${bytes} | ${perf} | ${projector.overall} | ${(projector.overall / perf).toFixed(3)} |`);
}

main().catch((error: Error) => {
  console.error(`[bench] failed: ${error.message}`);
  process.exit(1);
});
