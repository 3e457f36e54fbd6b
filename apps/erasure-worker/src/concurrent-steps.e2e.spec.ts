import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Consumer, Producer } from 'kafkajs';
import { Pool, PoolClient } from 'pg';
import { ConsentEvent, ConsentEventCodec, HEADERS } from '@lethe/contracts';
import { createSafeProducer } from '@lethe/kafka';
import { appendRaw, AppProcess, collectMessages, consentEvent, createShopSchema, freshDatabase, freshTopicSet, shopConfig, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';

// The erasure worker as users run it, with one sql system on one partition: several subjects'
// steps at once, one subject's in log order, and the committed offset never past a step whose
// acknowledgement is not on the log, also when the process is killed mid-round (ADR 0021).

jest.setTimeout(240_000);

const endpoints = testEndpoints();
const kafka = testKafka('worker-concurrent-steps');
const system = uniqueName('shop');
let admin: Admin;
let producer: Producer;
let reader: Consumer;
let pool: Pool;
let shopSchema: string;
let topics: ReturnType<typeof freshTopicSet>;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let codec: ConsentEventCodec;
let env: Record<string, string | undefined>;
let worker: AppProcess;
let log: Awaited<ReturnType<typeof collectMessages>>;

const groupId = () => `${topics.prefix}lethe.erasure.${system}`;

const erasureOf = (subject: string, requestId: string): ConsentEvent =>
  consentEvent({ subject_id: subject, payload: { type: 'ErasureRequested', request_id: requestId, scope: 'ALL', keep_transaction_history: true, systems: [system], all_systems: false } });

async function append(events: ConsentEvent[]): Promise<string[]> {
  const records = await Promise.all(events.map(async (event) => ({ key: event.subject_id, value: await codec.encode(event), headers: { [HEADERS.eventType]: event.payload.type } })));
  return appendRaw(producer, topics.log, records);
}

async function seedCustomers(subjects: string[]): Promise<void> {
  for (const subject of subjects) {
    await pool.query(`insert into "${shopSchema}".customers (external_id, email, name) values ($1, $2, 'Customer')`, [subject, `${subject}@example.com`]);
  }
}

/** The acknowledgements on the log so far: subject and request of each completed step, in log order. */
async function completions(): Promise<{ subject: string; requestId: string; offset: string }[]> {
  const events = await Promise.all(log.map(async ({ message }) => ({ event: await codec.decode(message.value as Buffer), offset: message.offset })));
  return events.flatMap(({ event, offset }) => (event.payload.type === 'ErasureStepCompleted' ? [{ subject: event.subject_id, requestId: event.payload.request_id, offset }] : []));
}

async function committedOffset(): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId: groupId(), topics: [topics.log] });
  return Number(offsets.partitions[0].offset);
}

const startWorker = async () => {
  worker = new AppProcess('apps/erasure-worker/src/main.ts', env);
  await waitFor(() => worker.output.includes(`consuming ${topics.log}`), { description: 'the worker to start', timeoutMs: 90_000 });
};

beforeAll(async () => {
  admin = kafka.admin();
  producer = createSafeProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
  topics = freshTopicSet(admin);
  database = await freshDatabase();
  pool = new Pool({ connectionString: endpoints.databaseUrl, max: 3 });
  shopSchema = await createShopSchema(pool);
  codec = ConsentEventCodec.forRegistry(endpoints.schemaRegistryUrl, `${topics.log}-value`);
  const { system: _system, ...shop } = shopConfig(endpoints.databaseUrl, shopSchema);
  const systemsFile = join(mkdtempSync(join(tmpdir(), 'lethe-systems-')), 'systems.json');
  writeFileSync(systemsFile, JSON.stringify({ systems: [{ name: system, type: 'sql', ...shop }] }));
  env = {
    ...process.env,
    LETHE_TOPIC_PREFIX: topics.prefix,
    LETHE_TOPIC_PARTITIONS: '1',
    LETHE_DB_SCHEMA: database.schema,
    LETHE_MASTER_KEY: randomBytes(32).toString('base64'),
    LETHE_SYSTEMS_FILE: systemsFile,
    LETHE_LOG_LEVEL: 'log',
  };
  await startWorker();
  await codec.register();
  reader = kafka.consumer({ groupId: uniqueName('test.log-reader') });
  await reader.connect();
  log = await collectMessages(reader, topics.log);
});

afterAll(async () => {
  await worker?.stop();
  await reader?.disconnect();
  await topics.drop();
  await pool.query(`drop schema if exists "${shopSchema}" cascade`);
  await Promise.all([admin.disconnect(), producer.disconnect(), pool.end(), database.drop()]);
});

it("applies one subject's steps in log order while other subjects' steps of the partition run alongside", async () => {
  const subjects = Array.from({ length: 5 }, () => uniqueName('subj'));
  await seedCustomers(subjects);
  // Round after round of requests, each subject's interleaved with the others' on the one partition.
  const requests = Array.from({ length: 6 }, (_, round) => subjects.map((subject) => erasureOf(subject, `${subject}-r${round}`))).flat();
  const offsets = await append(requests);
  await waitFor(async () => (await completions()).length === requests.length, { description: 'every step acknowledged', timeoutMs: 120_000 });

  const done = await completions();
  for (const subject of subjects) {
    expect(done.filter((step) => step.subject === subject).map((step) => step.requestId)).toEqual(Array.from({ length: 6 }, (_, round) => `${subject}-r${round}`));
  }
  const { rows } = await pool.query(`select count(*)::int as n from "${shopSchema}".customers where external_id = any($1)`, [subjects]);
  expect(rows[0].n).toBe(0);
  await waitFor(async () => (await committedOffset()) > Number(offsets[offsets.length - 1]), { description: 'the offsets committed past the requests' });
});

it('commits no offset past a step still in progress, also when the worker is killed mid-round, and finishes it after a restart', async () => {
  const blocked = uniqueName('subj');
  const later = Array.from({ length: 5 }, () => uniqueName('subj'));
  await seedCustomers([blocked, ...later]);
  let blockedOffset = '';
  let lastOffset = '';
  // The blocked subject's row is locked: its step's transaction waits, the others' do not.
  const lock: PoolClient = await pool.connect();
  await lock.query('begin');
  await lock.query(`select 1 from "${shopSchema}".customers where external_id = $1 for update`, [blocked]);
  try {
    [blockedOffset, lastOffset] = await append([erasureOf(blocked, `${blocked}-r0`), ...later.map((subject) => erasureOf(subject, `${subject}-r0`))]).then((offsets) => [offsets[0], offsets[offsets.length - 1]]);
    await waitFor(async () => (await completions()).filter((step) => later.includes(step.subject)).length === later.length, {
      description: "the later subjects' steps acknowledged past the blocked one",
      timeoutMs: 120_000,
    });
    expect((await completions()).some((step) => step.subject === blocked)).toBe(false);
    // Longer than the auto-commit interval (2 s): had the round's offset been resolved, it would be committed by now.
    await new Promise((done) => setTimeout(done, 4_000));
    expect(await committedOffset()).toBeLessThanOrEqual(Number(blockedOffset));

    worker.child.kill('SIGKILL');
    await worker.exited();
    expect(await committedOffset()).toBeLessThanOrEqual(Number(blockedOffset));
  } finally {
    await lock.query('rollback');
    lock.release();
  }

  await startWorker();
  await waitFor(async () => (await completions()).some((step) => step.subject === blocked), { description: "the blocked subject's step acknowledged after the restart", timeoutMs: 120_000 });
  await waitFor(async () => (await committedOffset()) > Number(lastOffset), { description: 'the offset past the once blocked step', timeoutMs: 60_000 });
  const { rows } = await pool.query(`select count(*)::int as n from "${shopSchema}".customers where external_id = any($1)`, [[blocked, ...later]]);
  expect(rows[0].n).toBe(0);
  expect(worker.output).not.toContain(blocked);
});
