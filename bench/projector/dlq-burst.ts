/**
 * A burst of undecodable records on consent.log must not stall the projector. Appends `bad`
 * undecodable records (not Avro, Avro of a schema the registry does not know, a known schema id
 * with a body that does not match it), interleaved with `valid` events of valid/5 subjects, then
 * runs the projector as a process of its own and measures the time until its stored offsets
 * reach the end of every partition, its RSS (sampled, and its peak), and checks that every
 * undecodable record is on consent.dlq with a reason and every valid event was folded.
 * Run through bench/run.sh: npm run bench:dlq-burst -- [bad] [valid]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Message } from 'kafkajs';
import { endpointsFrom, topicSettingsFrom } from '@lethe/config';
import { ConsentEvent, ConsentEventCodec, HEADERS, subjectsFor } from '@lethe/contracts';
import { ACKS_ALL, createKafka, createSafeProducer, ensureTopics } from '@lethe/kafka';
import { openDatabase } from '@lethe/persistence';
import { log, peakRssMib, rate, recordRss } from '../common';
import { startApp, stopChild, waitUntil } from '../processes';

const bad = Number(process.argv[2] ?? 100_000);
const valid = Number(process.argv[3] ?? 5_000);
const EVENTS_PER_SUBJECT = 5;
const endpoints = endpointsFrom(process.env);
const topics = topicSettingsFrom(process.env).names;
const schema = `bench_dlq_${Date.now()}`;
const groupId = `bench-dlq-${randomUUID()}`;
const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'bench-dlq-burst' });
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

/** The n-th undecodable record: 70 % not Avro at all, 20 % a known schema id with a broken body, 10 % one of ten unknown schema ids. */
function undecodable(n: number, knownId: number): Message {
  const kind = n % 10;
  const key = `burst-bad-${n % 10_000}`;
  if (kind < 7) return { key, value: Buffer.from(JSON.stringify({ json: true, n })) };
  const header = Buffer.alloc(5);
  header.writeInt32BE(kind < 9 ? knownId : 900_000 + (n % 10), 1);
  return { key, value: Buffer.concat([header, Buffer.alloc(40, 0xff)]) };
}

function event(subject: number, version: number): ConsentEvent {
  const now = Date.now();
  return {
    event_id: randomUUID(),
    subject_id: `burst-valid-${subject}`,
    occurred_at: now,
    recorded_at: now,
    source: 'WEB',
    actor: 'bench',
    jurisdiction: 'GDPR',
    policy_version: '2026-01',
    purposes: ['marketing'],
    correlation_id: null,
    causation_id: null,
    identities: null,
    payload: { type: version % 2 ? 'ConsentWithdrawn' : 'ConsentGranted' },
  };
}

async function fill(codec: ConsentEventCodec): Promise<void> {
  const knownId = await codec.register();
  const producer = createSafeProducer(kafka);
  await producer.connect();
  const subjects = Math.max(1, Math.floor(valid / EVENTS_PER_SUBJECT));
  const total = bad + valid;
  // One valid event every total/valid records, each subject's events in order.
  const every = Math.max(1, Math.floor(total / Math.max(1, valid)));
  let [sentBad, sentValid] = [0, 0];
  while (sentBad < bad || sentValid < valid) {
    const messages: Message[] = [];
    while (messages.length < 5_000 && (sentBad < bad || sentValid < valid)) {
      const dueValid = sentValid < valid && (sentBad >= bad || (sentBad + sentValid) % every === 0);
      if (dueValid) {
        const e = event(sentValid % subjects, Math.floor(sentValid / subjects));
        messages.push({ key: e.subject_id, value: await codec.encode(e), headers: { [HEADERS.eventType]: e.payload.type } });
        sentValid++;
      } else messages.push(undecodable(sentBad++, knownId));
    }
    await producer.send({ topic: topics.consentLog, acks: ACKS_ALL, messages });
  }
  await producer.disconnect();
  log(`appended ${bad} undecodable records and ${valid} events of ${subjects} subjects to ${topics.consentLog}`);
}

/** Every dead letter our group wrote, by reason, and how many source records they cover (a slice redone after a failed commit writes its letters again). */
async function deadLetters(): Promise<{ reasons: Map<string, number>; sources: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topics.consentDlq);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `bench-dlq-reader-${randomUUID()}`, maxBytesPerPartition: 8 * 1024 * 1024 });
  const next = new Map<number, bigint>();
  const reasons = new Map<string, number>();
  const sources = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topic: topics.consentDlq, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        if (message.headers?.[HEADERS.dlqConsumerGroup]?.toString() !== groupId) continue;
        const reason = message.headers?.[HEADERS.dlqReason]?.toString() ?? 'none';
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        sources.add(`${message.headers?.[HEADERS.dlqSourcePartition]?.toString()}:${message.headers?.[HEADERS.dlqSourceOffset]?.toString()}`);
      }
      next.set(batch.partition, BigInt(batch.lastOffset()) + 1n);
    },
  });
  await waitUntil(() => ends.every(({ partition, high }) => (next.get(partition) ?? 0n) >= BigInt(high)), 120_000, `reading ${topics.consentDlq} to its end`);
  await consumer.disconnect();
  return { reasons, sources: sources.size };
}

async function main(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, { names: topics, partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
  const codec = ConsentEventCodec.forRegistry(endpoints.schemaRegistryUrl, subjectsFor(topics).consentLogValue);
  await fill(codec);
  const ends = await admin.fetchTopicOffsets(topics.consentLog);
  await admin.disconnect();
  const total = ends.reduce((sum, { high }) => sum + Number(high), 0);

  const db = await openDatabase({ url: endpoints.databaseUrl, schema });
  log(`load average ${loadAverage()} at the start`);
  const started = Date.now();
  const projector = startApp('projector', 'apps/projector/src/main.ts', { LETHE_DB_SCHEMA: schema, LETHE_PROJECTOR_GROUP: groupId, LETHE_LOG_LEVEL: 'error' });
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const kib = Number(readFileSync(`/proc/${projector.pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m)?.[1] ?? NaN);
    samples.push(kib / 1024);
  }, 500);
  let elapsed = 0;
  let peak = 0;
  try {
    let lastReport = started;
    await waitUntil(
      async () => {
        const [row] = await db.query(`select coalesce(sum(next_offset), 0)::bigint as applied from consumer_offsets where group_id = $1`, [groupId]);
        if (Date.now() - lastReport >= 5_000) {
          lastReport = Date.now();
          log(`projector: ${row.applied}/${total} records past`);
        }
        return Number(row.applied) >= total;
      },
      600_000,
      'the projector to move past every record',
    );
    elapsed = Date.now() - started;
    peak = peakRssMib(projector.pid as number);
  } finally {
    clearInterval(sampler);
    await stopChild(projector, 'SIGTERM');
  }
  const [folded] = await db.query(`select count(*)::int as subjects, coalesce(sum(version), 0)::int as events from subject_state where subject_id like 'burst-valid-%'`);
  await db.query(`drop schema if exists "${schema}" cascade`);
  await db.destroy();
  const { reasons, sources } = await deadLetters();
  const lettered = [...reasons.values()].reduce((sum, n) => sum + n, 0);

  log(`load average ${loadAverage()} at the end`);
  console.log('');
  console.log(`| records | undecodable | valid | projector start → past every record | records/s | dead letters (by reason) | records dead-lettered | valid folded | peak RSS |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  const byReason = [...reasons].map(([reason, n]) => `${reason} ${n}`).join(', ');
  console.log(`| ${total} | ${bad} | ${valid} | ${(elapsed / 1000).toFixed(1)} s | ${rate(total, elapsed)} | ${lettered} (${byReason}) | ${sources} | ${folded.events} events, ${folded.subjects} subjects | ${peak} MiB |`);
  console.log('');
  log(`projector RSS sampled every 0.5 s: first ${samples.slice(0, 4).map((s) => s.toFixed(0)).join(', ')} … last ${samples.slice(-4).map((s) => s.toFixed(0)).join(', ')} MiB`);
  recordRss('projector (DLQ burst)', peak);
  if (sources !== bad || folded.events !== valid) {
    console.error(`[bench] expected ${bad} records dead-lettered and ${valid} folded events, got ${sources} and ${folded.events}`);
    process.exit(1);
  }
}

main().catch((error: Error) => {
  console.error(`[bench] failed: ${error.message}`);
  process.exit(1);
});
