import { Admin, Consumer, Producer } from 'kafkajs';
import { ConsentEvent, ConsentEventCodec, HEADERS } from '@lethe/contracts';
import { createSafeProducer } from '@lethe/kafka';
import {
  appendRaw,
  AppProcess,
  collectMessages,
  consentEvent,
  eventOfNewerType,
  freePort,
  freshDatabase,
  freshTopicSet,
  RegistryProxy,
  retriedThrough,
  testEndpoints,
  testKafka,
  underFreshSchemaId,
  uniqueName,
  waitFor,
  waitForMessages,
} from '@lethe/testing';

// The projector as users run it, on topics of its own (LETHE_TOPIC_PREFIX), reading the registry
// through a proxy the test controls: an outage must hold records back, never dead-letter them;
// bytes that cannot be read go to the DLQ with the reason; a newer writer's type stops it.

jest.setTimeout(120_000);

const registryUrl = testEndpoints().schemaRegistryUrl;
const kafka = testKafka('projector-registry-outage');
const proxy = new RegistryProxy(registryUrl);
const groupId = uniqueName('test.projector-outage');
let admin: Admin;
let producer: Producer;
let dlqReader: Consumer;
let topics: ReturnType<typeof freshTopicSet>;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let codec: ConsentEventCodec;
let metricsPort: number;
let proxyUrl: string;
let projector: AppProcess;

function startProjector(): AppProcess {
  const env = {
    ...process.env,
    LETHE_TOPIC_PREFIX: topics.prefix,
    LETHE_TOPIC_PARTITIONS: '1',
    LETHE_DB_SCHEMA: database.schema,
    LETHE_PROJECTOR_GROUP: groupId,
    LETHE_METRICS_PORT: String(metricsPort),
    LETHE_LOG_LEVEL: 'log',
    SCHEMA_REGISTRY_URL: proxyUrl,
  };
  return new AppProcess('apps/projector/src/main.ts', env);
}

async function metric(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return Number(new RegExp(`^lethe_registry_unavailable_total\\{group="${groupId}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

const append = (records: { key: string; value: Buffer }[]) => appendRaw(producer, topics.log, records);

const versionOf = async (subject: string): Promise<number | undefined> =>
  (await database.db.query(`select version from subject_state where subject_id = $1`, [subject]))[0]?.version;
const dlqEnd = async () => Number((await admin.fetchTopicOffsets(topics.dlq))[0].high);

beforeAll(async () => {
  admin = kafka.admin();
  producer = createSafeProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
  topics = freshTopicSet(admin);
  database = await freshDatabase();
  codec = ConsentEventCodec.forRegistry(registryUrl, `${topics.log}-value`);
  [metricsPort, proxyUrl] = await Promise.all([freePort(), proxy.start()]);
  projector = startProjector();
  await waitFor(() => metric().then(() => true), { description: 'the projector to start', timeoutMs: 60_000 });
});

afterAll(async () => {
  await projector.stop();
  await dlqReader?.disconnect();
  await topics.drop();
  await Promise.all([admin.disconnect(), producer.disconnect(), proxy.stop(), database.drop()]);
});

it('waits out a registry that refuses, fails or answers 401/403/404/409, sends nothing to the DLQ, and folds once it answers', async () => {
  const subject = uniqueName('subj');
  const events: ConsentEvent[] = [consentEvent({ subject_id: subject, payload: { type: 'ConsentGranted' } }), consentEvent({ subject_id: subject, payload: { type: 'ConsentWithdrawn' } })];
  await proxy.setMode('refuse');
  // Under schema ids the projector has not fetched yet, so it must ask the registry.
  await append(await Promise.all(events.map(async (event) => ({ key: subject, value: await underFreshSchemaId(await codec.encode(event), registryUrl) }))));
  await retriedThrough(proxy, projector, 'refuse', ': ECONNREFUSED; retrying in');
  const refused = await metric();
  for (const status of [503, 401, 403, 409]) await retriedThrough(proxy, projector, status, `: HTTP ${status}; retrying in`);
  await retriedThrough(proxy, projector, 404, 'not found, and the registry does not return known schemas either; retrying in');
  expect(await versionOf(subject)).toBeUndefined();

  await proxy.setMode('forward');
  await waitFor(async () => (await versionOf(subject)) === 2, { description: 'the held-back records folded', timeoutMs: 60_000 });
  expect(await dlqEnd()).toBe(0);
  expect(await metric()).toBeGreaterThan(refused);
  expect(projector.output).toMatch(/schema registry unavailable: fetching schema \d+: ECONNREFUSED; retrying in \d+ ms \(records wait, none is dead-lettered\)/);
  await waitFor(() => /schema registry answers again after \d+ failed attempt\(s\); resuming/.test(projector.output), { description: 'the projector to log the recovery' });
  expect(projector.output).not.toContain(subject);
});

it('parks a wrong magic byte, a corrupt datum and an unknown schema id on consent.dlq with the reason, and folds on past them', async () => {
  const subject = uniqueName('subj');
  const valid = await codec.encode(consentEvent({ subject_id: subject }));
  const unknownId = Buffer.from(valid);
  unknownId.writeInt32BE(2_000_000_000, 1);
  const offsets = await append([
    { key: subject, value: Buffer.from([1, ...valid.subarray(1)]) },
    { key: subject, value: Buffer.concat([valid.subarray(0, 5), Buffer.alloc(30, 0xff)]) },
    { key: subject, value: unknownId },
    { key: subject, value: valid },
  ]);
  await waitFor(async () => (await versionOf(subject)) === 1, { description: 'the valid record after the bad ones folded' });

  dlqReader = kafka.consumer({ groupId: uniqueName('test.dlq-reader') });
  await dlqReader.connect();
  const letters = await waitForMessages(await collectMessages(dlqReader, topics.dlq), 3);
  const header = (i: number, name: string) => letters[i].message.headers?.[name]?.toString();
  expect(letters.map((_, i) => [header(i, HEADERS.dlqReason), header(i, HEADERS.dlqSourceOffset), header(i, HEADERS.dlqConsumerGroup), header(i, HEADERS.dlqSourceTopic)])).toEqual([
    ['not_avro', offsets[0], groupId, topics.log],
    ['corrupt_datum', offsets[1], groupId, topics.log],
    ['unknown_schema', offsets[2], groupId, topics.log],
  ]);
  expect(header(2, HEADERS.dlqDetail)).toBe('undecodable record (unknown_schema): schema 2000000000 is unknown to the registry');
  expect(letters[1].message.value).toEqual(Buffer.concat([valid.subarray(0, 5), Buffer.alloc(30, 0xff)]));
});

it('stops with "upgrade needed" at a payload type of a newer Lethe, skipping and dead-lettering nothing, also when started again', async () => {
  const newer = consentEvent();
  const after = consentEvent();
  const [offset] = await append([
    { key: newer.subject_id, value: await eventOfNewerType(registryUrl, newer) },
    { key: after.subject_id, value: await codec.encode(after) },
  ]);
  expect(await projector.exited()).toBe(1);
  projector = startProjector();
  expect(await projector.exited()).toBe(1);
  expect(projector.output).toContain(`${topics.log} partition 0 offset ${offset}: payload type ConsentFrozen is unknown to this version of Lethe, written by a newer one (upgrade needed)`);
  expect(projector.output).toMatch(/The projector stops here, skipping and dead-lettering nothing; once upgraded it resumes from this record\./);
  const stored = await database.db.query(`select next_offset from consumer_offsets where group_id = $1`, [groupId]);
  expect(stored[0].next_offset).toBe(offset);
  expect(await versionOf(after.subject_id)).toBeUndefined();
  expect(await dlqEnd()).toBe(3);
});
