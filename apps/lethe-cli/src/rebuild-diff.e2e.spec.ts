import { randomBytes } from 'node:crypto';
import { TopicNames } from '@lethe/contracts';
import { ACKS_ALL } from '@lethe/kafka';
import { AppProcess, freshDatabase, freshTopicSet, randomEvents, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { FreshLog } from './testing/fresh-log';
import { runLethe } from './testing/lethe-process';

// A live projector folds consent.log while events are produced; once the log is quiet and the
// projector caught up, `lethe rebuild` replays it into a new schema and `lethe diff` finds the two
// equal, row for row; then one changed row is named. The topics are this file's own.

jest.setTimeout(240_000);

const kafka = testKafka('lethe-rebuild-e2e');
const group = uniqueName('test.rebuild-projector');
const subjects = Array.from({ length: 40 }, (_, i) => `subj-rb${i}-${randomBytes(3).toString('hex')}`);
const rebuilt = `test_rebuilt_${randomBytes(5).toString('hex')}`;
let log: FreshLog;
let topics: TopicNames;
let live: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
let projector: AppProcess | undefined;

const ends = (topic: string) => log.ends(topic);
const stored = async () => {
  const rows = await live.db.query(`select partition, next_offset from consumer_offsets where group_id = $1`, [group]);
  return new Map(rows.map((r: { partition: number; next_offset: string }) => [r.partition, BigInt(r.next_offset)]));
};

beforeAll(async () => {
  log = await FreshLog.open({ freshTopicSet, testEndpoints }, kafka);
  topics = log.topics;
  live = await freshDatabase();
  env = { LETHE_TOPIC_PREFIX: log.prefix, LETHE_PROJECTOR_GROUP: group, LETHE_DB_SCHEMA: live.schema };
});

afterAll(async () => {
  await projector?.stop();
  await live?.db.query(`drop schema if exists "${rebuilt}" cascade`);
  await live?.drop();
  await log?.close();
});

it('rebuilds from the log exactly what the live projector folded, publishing nothing, and diff finds them equal', async () => {
  projector = new AppProcess('apps/projector/src/main.ts', { ...process.env, ...env, LETHE_PROJECTOR_MAX_BATCH: '50' });
  // Under load: once the projector folds the first batches, the rest are sent while it runs.
  const events = randomEvents(subjects, 1_500);
  for (let start = 0; start < events.length; start += 100) {
    await log.append(events.slice(start, start + 100));
    if (start === 0) await waitFor(async () => (await stored()).size > 0, { description: 'the projector to commit a first batch', timeoutMs: 60_000 });
  }
  await log.producer.send({ topic: topics.consentLog, acks: ACKS_ALL, messages: [{ key: subjects[0], value: Buffer.from('not avro') }] });

  // Caught up: the log (with the completions the projector appends itself) stopped moving at
  // exactly the offsets stored with the state.
  const logEnd = await waitFor(
    async () => {
      const before = await ends(topics.consentLog);
      const positions = await stored();
      const after = await ends(topics.consentLog);
      const same = [...after].every(([p, end]) => before.get(p) === end && (end === 0n || positions.get(p) === end));
      return same && after;
    },
    { description: 'the live projector to catch up with a quiet log', timeoutMs: 180_000, intervalMs: 500 },
  );
  await projector.stop();
  const total = [...logEnd.values()].reduce((sum, end) => sum + end, 0n);
  expect(total).toBeGreaterThan(1_501n); // the events, the bad record and some completions
  const published = await Promise.all([topics.consentLog, topics.consentState, topics.optOuts, topics.consentDlq].map(ends));

  const run = await runLethe(env, 'rebuild', '--into', rebuilt, '--json');
  expect([run.code, run.stderr]).toEqual([0, '']);
  const [{ count }] = await live.db.query(`select count(*)::int as count from subject_state`);
  expect(JSON.parse(run.stdout)).toEqual({
    schema: rebuilt,
    topic: topics.consentLog,
    events: Number(total),
    rejected: 1,
    subjects: count,
    seconds: expect.any(Number),
    positions: Object.fromEntries([...logEnd].map(([p, end]) => [String(p), end.toString()])),
  });
  expect(count).toBe(subjects.length);
  // Read-only on Kafka: no state, notice, completion or dead letter was written.
  expect(await Promise.all([topics.consentLog, topics.consentState, topics.optOuts, topics.consentDlq].map(ends))).toEqual(published);
  // The positions are the projector group's, so a projector can carry on from the rebuilt schema.
  const positions = await live.db.query(`select partition, next_offset from "${rebuilt}".consumer_offsets where group_id = $1 order by partition`, [group]);
  expect(positions.map((r: { partition: number; next_offset: string }) => [r.partition, BigInt(r.next_offset)])).toEqual([...logEnd].filter(([, end]) => end > 0n).sort((a, b) => a[0] - b[0]));

  const same = await runLethe(env, 'diff', live.schema, rebuilt);
  expect(same.code).toBe(0);
  expect(same.stdout).toBe(`${live.schema} and ${rebuilt} are equal (rows: subject_state ${count}, ${same.stdout.match(/erasure_requests \d+, erasure_steps \d+, erasure_events \d+/)?.[0]})\n`);
  const [{ erasures }] = await live.db.query(`select count(*)::int as erasures from erasure_events`);
  expect(erasures).toBeGreaterThan(0);
  expect(same.stdout).toContain(`erasure_events ${erasures})`);
});

it('names the row that differs, with exit 1, and refuses a schema that holds data', async () => {
  const [row] = await live.db.query(`select subject_id, version from "${rebuilt}".subject_state order by subject_id limit 1`);
  await live.db.query(`update "${rebuilt}".subject_state set state = jsonb_set(state, '{version}', to_jsonb(version + 1)) where subject_id = $1`, [row.subject_id]);

  const text = await runLethe(env, 'diff', live.schema, rebuilt);
  expect(text.code).toBe(1);
  expect(text.stdout.split('\n')[0]).toMatch(new RegExp(`^${live.schema} and ${rebuilt} differ: 1 row\\(s\\)`));
  expect(text.stdout.split('\n')[1]).toBe(`subject_state subject_id=${row.subject_id}: state.version is ${row.version} in ${live.schema}, ${row.version + 1} in ${rebuilt}`);
  const json = await runLethe(env, 'diff', live.schema, rebuilt, '--json');
  expect(json.code).toBe(1);
  expect(JSON.parse(json.stdout)).toMatchObject({
    equal: false,
    differences: 1,
    tables: { subject_state: { a: subjects.length, b: subjects.length, different: 1 }, erasure_events: { different: 0 } },
    first: [{ table: 'subject_state', key: { subject_id: row.subject_id }, field: 'state.version', a: row.version, b: row.version + 1 }],
  });

  const refused = await runLethe(env, 'rebuild', '--into', rebuilt);
  expect(refused).toEqual({ code: 3, stdout: '', stderr: `lethe rebuild: schema ${rebuilt} exists and is not empty: rebuild into a new schema, or pass --replace to drop it first\n` });
  expect((await runLethe(env, 'rebuild', '--into', live.schema, '--replace')).stderr).toMatch(/is the live projection \(LETHE_DB_SCHEMA\): refusing to drop it/);

  // --replace of a projection: rebuilt again, with progress on stderr and a summary on stdout.
  const again = await runLethe(env, 'rebuild', '--into', rebuilt, '--replace');
  expect(again.code).toBe(0);
  expect(again.stderr).toMatch(/^rebuild: events: [\d,]+ of [\d,]+ \(100\.0%\), [\d,]+\/s, done$/m);
  expect(again.stdout).toMatch(new RegExp(`^rebuilt schema ${rebuilt} from ${topics.consentLog.replace(/\./g, '\\.')}: \\d+ events \\(1 not applicable\\), ${subjects.length} subjects, in [\\d.]+ s\\n$`));
  expect((await runLethe(env, 'diff', live.schema, rebuilt)).code).toBe(0);

  expect((await runLethe(env, 'diff', live.schema)).code).toBe(2);
  expect(await runLethe(env, 'diff', live.schema, 'no_such_schema')).toEqual({ code: 3, stdout: '', stderr: 'lethe diff: schema no_such_schema does not exist or holds no tables\n' });
  expect((await runLethe(env, 'rebuild', '--into', 'Bad-Name')).stderr).toBe('lethe rebuild: --into must be a lower-case SQL identifier (letters, digits, _; at most 63)\nusage: lethe rebuild --into <schema> [--replace] [--json]\n');
});
