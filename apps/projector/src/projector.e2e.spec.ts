import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Admin, KafkaMessage, Producer } from 'kafkajs';
import { serializeState, SubjectState } from '@lethe/consent-domain';
import { ConsentEvent, ConsentEventCodec, ConsentStateCodec, HEADERS, subjectsFor, topicsFor } from '@lethe/contracts';
import { ACKS_ALL, createSafeProducer, ensureTopics } from '@lethe/kafka';
import { consentEvent, freshDatabase, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { foldRecords } from './batch-folder';
import { ErasureEventRow, erasureEventRows } from './erasure-events';
import { toConsentState } from './state-view';

// The projector as users run it: a separate process, killed with SIGKILL in the middle of a
// stream and started again. Its PostgreSQL state must then equal a full replay of consent.log.
// The topics are this file's own (a fresh LETHE_TOPIC_PREFIX): the replay compares against the
// whole log, so no other test may write to it meanwhile.

const prefix = `${uniqueName('test.projector')}.`;
const topics = topicsFor(prefix);
const kafka = testKafka('projector-e2e');
const codec = ConsentEventCodec.forRegistry(testEndpoints().schemaRegistryUrl, subjectsFor(topics).consentLogValue);
const stateCodec = ConsentStateCodec.forRegistry(testEndpoints().schemaRegistryUrl, subjectsFor(topics).consentStateValue);

let admin: Admin;
let producer: Producer;
let database: Awaited<ReturnType<typeof freshDatabase>>;
const groupId = uniqueName('test.projector');
const subjects = Array.from({ length: 12 }, () => `subj-${randomUUID().slice(0, 8)}`);

function startProjectorProcess(): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, 'main.ts')], {
    cwd: resolve(__dirname, '../../..'),
    env: { ...process.env, LETHE_TOPIC_PREFIX: prefix, LETHE_DB_SCHEMA: database.schema, LETHE_PROJECTOR_GROUP: groupId, LETHE_PROJECTOR_MAX_BATCH: '20' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function randomEvents(count: number): ConsentEvent[] {
  const purposes = ['marketing', 'analytics', 'personalisation'];
  return Array.from({ length: count }, (_, i) => {
    const subject_id = subjects[i % subjects.length];
    const purpose = purposes[i % purposes.length];
    const payload: ConsentEvent['payload'] =
      i % 7 === 0
        ? { type: 'OptOutRecorded', kinds: ['SALE'] }
        : i % 11 === 0
          ? { type: 'ErasureRequested', request_id: `req-${subject_id}`, scope: 'ALL', keep_transaction_history: false, systems: ['crm'], all_systems: false }
          : i % 13 === 0
            ? { type: 'ErasureStepCompleted', request_id: `req-${subject_id}`, system: 'crm', action: 'delete', counts: { rows: 1 }, evidence_hash: 'e'.repeat(64), legal_hold: null, strategies: {} }
            : { type: i % 2 ? 'ConsentGranted' : 'ConsentWithdrawn' };
    return consentEvent({ subject_id, purposes: [purpose], payload, policy_version: '2026-01', occurred_at: 1_767_225_600_000 + i });
  });
}

async function produce(events: ConsentEvent[]): Promise<void> {
  const messages = await Promise.all(events.map(async (e) => ({ key: e.subject_id, value: await codec.encode(e) })));
  await producer.send({ topic: topics.consentLog, acks: ACKS_ALL, messages });
}

/**
 * Waits until the projector has applied everything on the log, including the completions it
 * appends itself: the end offsets must stop moving while its stored offsets equal them.
 */
async function caughtUp(): Promise<Map<number, bigint>> {
  for (;;) {
    const ends = new Map((await admin.fetchTopicOffsets(topics.consentLog)).map((p) => [p.partition, BigInt(p.high)]));
    await waitFor(
      async () => {
        const stored = await storedOffsets();
        return [...ends].every(([p, end]) => end === 0n || (stored.get(p) ?? 0n) >= end);
      },
      { description: 'the projector to reach the end of the log', timeoutMs: 120_000 },
    );
    const now = new Map((await admin.fetchTopicOffsets(topics.consentLog)).map((p) => [p.partition, BigInt(p.high)]));
    const stored = await storedOffsets();
    if ([...now].every(([p, end]) => end === 0n || stored.get(p) === end)) return now;
  }
}

async function storedOffsets(): Promise<Map<number, bigint>> {
  const rows = await database.db.query(`select partition, next_offset from consumer_offsets where group_id = $1`, [groupId]);
  return new Map(rows.map((r: { partition: number; next_offset: string }) => [r.partition, BigInt(r.next_offset)]));
}

/** Everything on consent.log up to `ends`, by partition, in offset order. */
async function readLog(ends: Map<number, bigint>): Promise<Map<number, KafkaMessage[]>> {
  const byPartition = new Map<number, KafkaMessage[]>([...ends.keys()].map((p) => [p, []]));
  const consumer = kafka.consumer({ groupId: uniqueName('test.reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.consentLog, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (BigInt(message.offset) < (ends.get(partition) ?? 0n)) byPartition.get(partition)?.push(message);
    },
  });
  await waitFor(() => [...ends].every(([p, end]) => BigInt(byPartition.get(p)?.length ?? 0) >= end), {
    description: 'the whole log read back',
    timeoutMs: 60_000,
  });
  await consumer.disconnect();
  return byPartition;
}

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, { names: topics, partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
  producer = createSafeProducer(kafka);
  await producer.connect();
  database = await freshDatabase();
});

afterAll(async () => {
  await producer.disconnect();
  await admin.disconnect();
  await database.drop();
});

it('survives SIGKILL mid-stream and ends equal to a full replay of the log, row for row', async () => {
  await produce(randomEvents(300));
  // A duplicate delivery and a record that is not Avro at all.
  const [duplicate] = randomEvents(1);
  await produce([duplicate, duplicate]);
  await producer.send({ topic: topics.consentLog, acks: ACKS_ALL, messages: [{ key: subjects[0], value: Buffer.from('not avro') }] });

  const first = startProjectorProcess();
  await waitFor(async () => (await storedOffsets()).size > 0, { description: 'the projector to commit a first batch', timeoutMs: 60_000 });
  await produce(randomEvents(200));
  first.kill('SIGKILL');
  await new Promise((done) => first.once('exit', done));

  await produce(randomEvents(100));
  const second = startProjectorProcess();
  let ends: Map<number, bigint>;
  try {
    ends = await caughtUp();
  } finally {
    second.kill('SIGTERM');
    await new Promise((done) => second.once('exit', done));
  }

  // Replay with the same fold, partition by partition, from empty state.
  const expected = new Map<string, SubjectState>();
  const completions = new Map<string, Set<string>>();
  const indexed: ErasureEventRow[] = [];
  for (const [partition, messages] of await readLog(ends)) {
    const records = await Promise.all(messages.map(async (message) => ({ message, event: await codec.decode(message.value).catch(() => undefined), problem: 'undecodable' })));
    const { changed, rejected } = foldRecords(records, expected);
    for (const state of changed) expected.set(state.subjectId, state);
    indexed.push(...erasureEventRows(topics.consentLog, partition, records, rejected));
    for (const { event } of records) {
      if (event?.payload.type !== 'ErasureRequestCompleted') continue;
      completions.set(event.payload.request_id, (completions.get(event.payload.request_id) ?? new Set()).add(event.event_id));
    }
  }
  const rows: { subject_id: string; state: SubjectState }[] = await database.db.query(`select subject_id, state from subject_state order by subject_id`);
  expect(rows.length).toBe(expected.size);
  for (const row of rows) {
    expect(serializeState(row.state)).toBe(serializeState(expected.get(row.subject_id) as SubjectState));
  }
  for (const subject of subjects) expect(expected.has(subject)).toBe(true);

  // Every request acknowledged by all its systems was completed by the projector, as one fact.
  const requests = subjects.flatMap((subject) => Object.values(expected.get(subject)?.erasureRequests ?? {}));
  const acknowledged = requests.filter((r) => r.requested && Object.values(r.systems).every((step) => step.status === 'completed'));
  expect(acknowledged.length).toBeGreaterThan(0);
  for (const request of acknowledged) {
    expect(request.status).toBe('completed');
    expect(completions.get(request.requestId)?.size).toBe(1);
  }

  // Each erasure event indexed once, at its first position, despite the crash and redelivery.
  const positions = await database.db.query(`select event_id, type, partition, "offset" from erasure_events order by event_id`);
  const byId = (a: { event_id: string }, b: { event_id: string }) => (a.event_id < b.event_id ? -1 : 1);
  expect(positions.length).toBeGreaterThan(0);
  expect(positions).toEqual(indexed.sort(byId).map(({ event_id, type, partition, offset }) => ({ event_id, type, partition, offset })));

  const purposes = await database.db.query(`select count(*)::int as n from consent_purposes`);
  expect(purposes[0].n).toBe([...expected.values()].reduce((n, s) => n + Object.keys(s.purposes).length, 0));
});

it('holds the latest state of each subject on the compacted consent.state topic', async () => {
  const latest = new Map<string, Buffer>();
  const consumer = kafka.consumer({ groupId: uniqueName('test.state') });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.consentState, fromBeginning: true });
  const rows: { subject_id: string; state: SubjectState }[] = await database.db.query(`select subject_id, state from subject_state where subject_id = any($1)`, [subjects]);
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? '';
      if (subjects.includes(key) && message.value) latest.set(key, message.value);
    },
  });
  await waitFor(
    async () => {
      for (const row of rows) {
        const value = latest.get(row.subject_id);
        if (!value || (await stateCodec.decode(value)).version !== row.state.version) return false;
      }
      return true;
    },
    { description: 'consent.state to carry every test subject at its projected version', timeoutMs: 60_000 },
  );
  await consumer.disconnect();
  for (const row of rows) {
    const published = await stateCodec.decode(latest.get(row.subject_id) as Buffer);
    expect({ ...published, updated_at: 0 }).toEqual({ ...toConsentState(row.state, 0) });
  }
});

it('parks the undecodable record on consent.dlq with the reason', async () => {
  const letters: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('test.dlq') });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.consentDlq, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.headers?.[HEADERS.dlqConsumerGroup]?.toString() === groupId) letters.push(message);
    },
  });
  await waitFor(() => letters.length > 0, { description: 'a dead letter from this projector' });
  await consumer.disconnect();
  expect(letters[0].value?.toString()).toBe('not avro');
  expect(letters[0].headers?.[HEADERS.dlqReason]?.toString()).toBe('not_avro');
  expect(letters[0].headers?.[HEADERS.dlqSourceTopic]?.toString()).toBe(topics.consentLog);
});

it('refuses to resume when the log ends before the offsets stored with the state', async () => {
  // As after the broker's data was wiped while PostgreSQL kept the projection.
  const wiped = await freshDatabase();
  const group = uniqueName('test.projector-wiped');
  const ends = await admin.fetchTopicOffsets(topics.consentLog);
  const beyond = (BigInt(ends[0].high) + 1_000n).toString();
  await wiped.db.query(`insert into consumer_offsets (group_id, topic, partition, next_offset) values ($1, $2, $3, $4)`, [group, topics.consentLog, ends[0].partition, beyond]);

  const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, 'main.ts')], {
    cwd: resolve(__dirname, '../../..'),
    env: { ...process.env, LETHE_TOPIC_PREFIX: prefix, LETHE_DB_SCHEMA: wiped.schema, LETHE_PROJECTOR_GROUP: group },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise((done) => child.once('exit', done));
  await wiped.drop();

  expect(code).toBe(1);
  expect(stderr).toContain(`partition ${ends[0].partition} ends at offset ${ends[0].high}, but the projection in PostgreSQL has applied it up to ${beyond}`);
  expect(stderr).toMatch(/Refusing to resume, as new events would be skipped/);
}, 60_000);
