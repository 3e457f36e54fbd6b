import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { serializeState, SubjectState } from '@lethe/consent-domain';
import { HEADERS, OptOutNotice } from '@lethe/contracts';
import { ACKS_ALL } from '@lethe/kafka';
import { freshDatabase, freshTopicSet, randomEvents, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ErasureEventRow, erasureEventRows, foldRecords } from '@lethe/projection';
import { ProjectorHarness } from './testing/projector-harness';

// The projector as users run it: a separate process, killed with SIGKILL in the middle of a
// stream and started again. Its PostgreSQL state must then equal a full replay of consent.log.
// The topics are this file's own (the harness's LETHE_TOPIC_PREFIX): the replay compares against
// the whole log, so no other test may write to it meanwhile.

const kafka = testKafka('projector-e2e');

let harness: ProjectorHarness;
const groupId = uniqueName('test.projector');
const subjects = Array.from({ length: 12 }, () => `subj-${randomUUID().slice(0, 8)}`);

beforeAll(async () => {
  harness = await ProjectorHarness.open({ freshDatabase, freshTopicSet, testEndpoints, uniqueName, waitFor }, kafka, groupId);
});

afterAll(() => harness.close());

it('survives SIGKILL mid-stream and ends equal to a full replay of the log, row for row', async () => {
  await harness.produce(randomEvents(subjects, 300));
  // A duplicate delivery and a record that is not Avro at all.
  const [duplicate] = randomEvents(subjects, 1);
  await harness.produce([duplicate, duplicate]);
  await harness.producer.send({ topic: harness.topics.consentLog, acks: ACKS_ALL, messages: [{ key: subjects[0], value: Buffer.from('not avro') }] });

  const first = harness.spawn();
  await waitFor(async () => (await harness.storedOffsets()).size > 0, { description: 'the projector to commit a first batch', timeoutMs: 60_000 });
  await harness.produce(randomEvents(subjects, 200));
  first.kill('SIGKILL');
  await new Promise((done) => first.once('exit', done));

  await harness.produce(randomEvents(subjects, 100));
  const second = harness.spawn();
  let ends: Map<number, bigint>;
  try {
    ends = await harness.caughtUp();
  } finally {
    second.kill('SIGTERM');
    await new Promise((done) => second.once('exit', done));
  }

  // Replay with the same fold, partition by partition, from empty state.
  const expected = new Map<string, SubjectState>();
  const completions = new Map<string, Set<string>>();
  const indexed: ErasureEventRow[] = [];
  const notices: OptOutNotice[] = [];
  const log = await harness.readLog(ends);
  for (const [partition, messages] of log) {
    const records = await Promise.all(messages.map(async (message) => ({ message, event: await harness.codec.decode(message.value).catch(() => undefined), problem: 'undecodable' })));
    const { changed, rejected, notices: replayed } = foldRecords(partition, records, expected);
    notices.push(...replayed);
    for (const state of changed) expected.set(state.subjectId, state);
    indexed.push(...erasureEventRows(harness.topics.consentLog, partition, records, rejected));
    for (const { event } of records) {
      if (event?.payload.type !== 'ErasureRequestCompleted') continue;
      completions.set(event.payload.request_id, (completions.get(event.payload.request_id) ?? new Set()).add(event.event_id));
    }
  }
  const rows: { subject_id: string; state: SubjectState }[] = await harness.database.db.query(`select subject_id, state from subject_state order by subject_id`);
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
  const positions = await harness.database.db.query(`select event_id, type, partition, "offset" from erasure_events order by event_id`);
  const byId = (a: { event_id: string }, b: { event_id: string }) => (a.event_id < b.event_id ? -1 : 1);
  expect(positions.length).toBeGreaterThan(0);
  expect(positions).toEqual(indexed.sort(byId).map(({ event_id, type, partition, offset }) => ({ event_id, type, partition, offset })));

  const purposes = await harness.database.db.query(`select count(*)::int as n from consent_purposes`);
  expect(purposes[0].n).toBe([...expected.values()].reduce((n, s) => n + Object.keys(s.purposes).length, 0));

  // consent.opt-outs holds every change the replay finds, each as the replay derives it. A slice
  // folded again after the crash may have published some twice: a subscriber keeping only notices
  // newer than the last it applied (per subject) then sees each change once, in order.
  expect(notices.length).toBeGreaterThan(0);
  const key = (n: OptOutNotice) => `${n.subject_id}@${n.version}`;
  const published = await harness.notices((seen) => new Set(seen.map(key)).size >= notices.length);
  const wanted = new Map(notices.map((n) => [key(n), n]));
  for (const notice of published) expect(notice).toEqual(wanted.get(key(notice)));
  const applied = new Map<string, OptOutNotice[]>();
  for (const notice of published) {
    const seen = applied.get(notice.subject_id) ?? [];
    if (notice.version > (seen.at(-1)?.version ?? 0)) applied.set(notice.subject_id, [...seen, notice]);
  }
  for (const subject of subjects) expect(applied.get(subject) ?? []).toEqual(notices.filter((n) => n.subject_id === subject));
});

it('holds the latest state of each subject on the compacted consent.state topic', async () => {
  for (const { published, projected } of await harness.publishedStates(subjects)) expect(published).toEqual(projected);
});

it('parks the undecodable record on consent.dlq with the reason', async () => {
  const letters = await harness.deadLetters();
  expect(letters[0].value?.toString()).toBe('not avro');
  expect(letters[0].headers?.[HEADERS.dlqReason]?.toString()).toBe('not_avro');
  expect(letters[0].headers?.[HEADERS.dlqSourceTopic]?.toString()).toBe(harness.topics.consentLog);
});

it('refuses to resume when the log ends before the offsets stored with the state', async () => {
  // As after the broker's data was wiped while PostgreSQL kept the projection.
  const wiped = await freshDatabase();
  const group = uniqueName('test.projector-wiped');
  const ends = await harness.admin.fetchTopicOffsets(harness.topics.consentLog);
  const beyond = (BigInt(ends[0].high) + 1_000n).toString();
  await wiped.db.query(`insert into consumer_offsets (group_id, topic, partition, next_offset) values ($1, $2, $3, $4)`, [group, harness.topics.consentLog, ends[0].partition, beyond]);

  const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, 'main.ts')], {
    cwd: resolve(__dirname, '../../..'),
    env: { ...process.env, LETHE_TOPIC_PREFIX: harness.prefix, LETHE_DB_SCHEMA: wiped.schema, LETHE_PROJECTOR_GROUP: group },
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
