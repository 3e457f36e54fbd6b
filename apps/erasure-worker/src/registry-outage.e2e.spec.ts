import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Admin, Consumer, Producer } from 'kafkajs';
import { ConsentEvent, ConsentEventCodec, HEADERS } from '@lethe/contracts';
import { createSafeProducer } from '@lethe/kafka';
import {
  appendRaw,
  AppProcess,
  collectMessages,
  consentEvent,
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

// The erasure worker as users run it, on topics of its own, with one cache system, reading the
// registry through a proxy the test controls.

jest.setTimeout(120_000);

const endpoints = testEndpoints();
const kafka = testKafka('worker-registry-outage');
const proxy = new RegistryProxy(endpoints.schemaRegistryUrl);
const system = uniqueName('sessions');
let admin: Admin;
let producer: Producer;
let dlqReader: Consumer;
let redis: Redis;
let topics: ReturnType<typeof freshTopicSet>;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let codec: ConsentEventCodec;
let worker: AppProcess;

const erasureOf = (subject: string): ConsentEvent =>
  consentEvent({ subject_id: subject, payload: { type: 'ErasureRequested', request_id: uniqueName('dsr'), scope: 'ALL', keep_transaction_history: false, systems: [system], all_systems: false } });

const append = (records: { key: string; value: Buffer; type: string }[]) =>
  appendRaw(producer, topics.log, records.map(({ key, value, type }) => ({ key, value, headers: { [HEADERS.eventType]: type } })));

const dlqEnd = async () => Number((await admin.fetchTopicOffsets(topics.dlq))[0].high);

beforeAll(async () => {
  admin = kafka.admin();
  producer = createSafeProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
  redis = new Redis(endpoints.redisUrl);
  topics = freshTopicSet(admin);
  database = await freshDatabase();
  codec = ConsentEventCodec.forRegistry(endpoints.schemaRegistryUrl, `${topics.log}-value`);
  const systemsFile = join(mkdtempSync(join(tmpdir(), 'lethe-systems-')), 'systems.json');
  writeFileSync(systemsFile, JSON.stringify({ systems: [{ name: system, type: 'cache', url: endpoints.redisUrl, keys: [`${system}:{subjectId}`] }] }));
  worker = new AppProcess('apps/erasure-worker/src/main.ts', {
    ...process.env,
    LETHE_TOPIC_PREFIX: topics.prefix,
    LETHE_TOPIC_PARTITIONS: '1',
    LETHE_DB_SCHEMA: database.schema,
    LETHE_MASTER_KEY: randomBytes(32).toString('base64'),
    LETHE_SYSTEMS_FILE: systemsFile,
    LETHE_LOG_LEVEL: 'log',
    SCHEMA_REGISTRY_URL: await proxy.start(),
  });
  await waitFor(() => worker.output.includes(`consuming ${topics.log}`), { description: 'the worker to start', timeoutMs: 60_000 });
});

afterAll(async () => {
  await worker.stop();
  await dlqReader?.disconnect();
  await topics.drop();
  redis.disconnect();
  await Promise.all([admin.disconnect(), producer.disconnect(), proxy.stop(), database.drop()]);
});

it('holds an erasure back while the registry refuses or fails, dead-letters nothing, and erases once it answers', async () => {
  const subject = uniqueName('subj');
  await redis.set(`${system}:${subject}`, 'session');
  await proxy.setMode('refuse');
  await append([{ key: subject, value: await underFreshSchemaId(await codec.encode(erasureOf(subject)), endpoints.schemaRegistryUrl), type: 'ErasureRequested' }]);
  await retriedThrough(proxy, worker, 'refuse', ': ECONNREFUSED; retrying in');
  await retriedThrough(proxy, worker, 401, ': HTTP 401; retrying in');
  expect(await redis.exists(`${system}:${subject}`)).toBe(1);

  await proxy.setMode('forward');
  await waitFor(async () => (await redis.exists(`${system}:${subject}`)) === 0, { description: 'the held-back erasure done', timeoutMs: 60_000 });
  expect(await dlqEnd()).toBe(0);
  expect(worker.output).not.toContain(subject);
});

it('parks a corrupt datum and a wrong magic byte on consent.dlq with the reason', async () => {
  const valid = await codec.encode(erasureOf(uniqueName('subj')));
  const offsets = await append([
    { key: 'k', value: Buffer.concat([valid.subarray(0, 5), Buffer.alloc(30, 0xff)]), type: 'ErasureRequested' },
    { key: 'k', value: Buffer.from('{"not":"avro"}'), type: 'ErasureRequested' },
  ]);
  dlqReader = kafka.consumer({ groupId: uniqueName('test.dlq-reader') });
  await dlqReader.connect();
  const letters = await waitForMessages(await collectMessages(dlqReader, topics.dlq), 2);
  expect(letters.map(({ message }) => [message.headers?.[HEADERS.dlqReason]?.toString(), message.headers?.[HEADERS.dlqSourceOffset]?.toString(), message.headers?.[HEADERS.dlqConsumerGroup]?.toString()])).toEqual([
    ['corrupt_datum', offsets[0], `${topics.prefix}lethe.erasure.${system}`],
    ['not_avro', offsets[1], `${topics.prefix}lethe.erasure.${system}`],
  ]);
});

it('stops with "upgrade needed" at a record whose type header names a payload type of a newer Lethe', async () => {
  const [offset] = await append([{ key: 'k', value: Buffer.from('opaque'), type: 'ConsentFrozen' }]);
  expect(await worker.exited()).toBe(1);
  expect(worker.output).toContain(`${topics.log} partition 0 offset ${offset}: payload type ConsentFrozen is unknown to this version of Lethe`);
  expect(worker.output).toContain(`The erasure worker (${system}) stops here, skipping and dead-lettering nothing; once upgraded it resumes from this record.`);
  expect(await dlqEnd()).toBe(2);
});
