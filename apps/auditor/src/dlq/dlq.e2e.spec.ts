import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Admin, Consumer, KafkaMessage, Producer } from 'kafkajs';
import { ConsentEventCodec, HEADERS } from '@lethe/contracts';
import { createSafeProducer, sendToDeadLetter } from '@lethe/kafka';
import { collectMessages, consentEvent, freshTopicSet, testEndpoints, testKafka, uniqueName, waitForMessages } from '@lethe/testing';

// `npm run dlq` as operators run it, as a process, on a fresh log and DLQ (LETHE_TOPIC_PREFIX).

jest.setTimeout(120_000);

const kafka = testKafka('dlq-cli-e2e');
let admin: Admin;
let producer: Producer;
let reader: Consumer;
let topics: ReturnType<typeof freshTopicSet>;
const subject = uniqueName('subj');
let valid: Buffer;

function dlq(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return dlqWith({}, ...args);
}

function dlqWith(env: Record<string, string>, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, '../dlq.cli.ts'), ...args], {
    cwd: resolve(__dirname, '../../../..'),
    env: { ...process.env, LETHE_TOPIC_PREFIX: topics.prefix, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}

const asLogged = (offset: string, value: Buffer, headers = {}): KafkaMessage => ({ key: Buffer.from(subject), value, headers, offset, timestamp: '0', attributes: 0 });
const logEnd = async () => Number((await admin.fetchTopicOffsets(topics.log))[0].high);

beforeAll(async () => {
  admin = kafka.admin();
  producer = createSafeProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
  topics = freshTopicSet(admin);
  await admin.createTopics({ waitForLeaders: true, topics: [topics.log, topics.dlq].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
  valid = await ConsentEventCodec.forRegistry(testEndpoints().schemaRegistryUrl, `${topics.log}-value`).encode(consentEvent({ subject_id: subject }));
  // One record two consumer groups could not read at the time, and one that is truly corrupt.
  const record = asLogged('7', valid, { [HEADERS.eventType]: 'ConsentWithdrawn' });
  const corrupt = asLogged('9', Buffer.concat([valid.subarray(0, 5), Buffer.alloc(20, 0xff)]));
  await sendToDeadLetter(producer, topics.dlq, [
      { topic: topics.log, partition: 0, message: record, groupId: 'lethe.projector', reason: 'unknown_schema', detail: 'undecodable record (unknown_schema): schema 5 is unknown to the registry' },
      { topic: topics.log, partition: 0, message: record, groupId: 'lethe.erasure.crm', reason: 'unknown_schema' },
      { topic: topics.log, partition: 0, message: corrupt, groupId: 'lethe.projector', reason: 'corrupt_datum' },
  ]);
});

afterAll(async () => {
  await reader?.disconnect();
  await topics.drop();
  await Promise.all([admin.disconnect(), producer.disconnect()]);
});

it('lists the dead letters with reasons and positions, never their keys or bytes', async () => {
  const json = await dlq('list', '--json');
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toEqual([
    { offset: '0:0', reason: 'unknown_schema', detail: 'undecodable record (unknown_schema): schema 5 is unknown to the registry', source: { topic: topics.log, partition: 0, offset: '7' }, group: 'lethe.projector', eventType: 'ConsentWithdrawn', bytes: valid.length, redrivenTo: null },
    { offset: '0:1', reason: 'unknown_schema', detail: null, source: { topic: topics.log, partition: 0, offset: '7' }, group: 'lethe.erasure.crm', eventType: 'ConsentWithdrawn', bytes: valid.length, redrivenTo: null },
    { offset: '0:2', reason: 'corrupt_datum', detail: null, source: { topic: topics.log, partition: 0, offset: '9' }, group: 'lethe.projector', eventType: null, bytes: 25, redrivenTo: null },
  ]);
  const text = await dlq('list');
  expect(text.code).toBe(0);
  expect(text.stdout.split('\n')[0]).toMatch(/^offset\s+reason\s+source\s+group\s+event type\s+bytes\s+re-driven to$/);
  expect(text.stdout).toMatch(new RegExp(`^0:2\\s+corrupt_datum\\s+${topics.log.replace(/\./g, '\\.')}:0:9\\s+lethe\\.projector\\s+-\\s+25\\s+-$`, 'm'));
  for (const output of [json.stdout, text.stdout]) {
    expect(output).not.toContain(subject);
    expect(output).not.toContain(valid.toString('base64'));
  }
});

it('re-drives the record of the chosen letters onto consent.log once, with its key, bytes and origin, and never twice', async () => {
  const first = await dlq('redrive', '--reason', 'unknown_schema');
  expect(first).toMatchObject({ code: 0, stderr: '' });
  expect(first.stdout).toBe(`re-drove ${topics.dlq} 0:0 to ${topics.log}:0:0\nre-drove ${topics.dlq} 0:1 to ${topics.log}:0:0\n`);

  reader = kafka.consumer({ groupId: uniqueName('test.log-reader') });
  await reader.connect();
  const [{ message }] = await waitForMessages(await collectMessages(reader, topics.log), 1);
  expect(message.key?.toString()).toBe(subject);
  expect(message.value).toEqual(valid);
  expect(Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString()]))).toEqual({
    [HEADERS.eventType]: 'ConsentWithdrawn',
    [HEADERS.redrivenFrom]: `${topics.dlq}:0:0`,
  });

  const again = await dlq('redrive', '--offset', '0', '--offset', '0:1');
  expect(again).toMatchObject({ code: 0, stdout: 'already re-driven, left alone: 0:0, 0:1\n' });
  expect((await dlq('redrive', '--reason', 'unknown_schema')).code).toBe(0);
  expect(await logEnd()).toBe(1);

  const listed = JSON.parse((await dlq('list', '--json')).stdout) as { offset: string; redrivenTo: string | null }[];
  expect(listed.map((letter) => [letter.offset, letter.redrivenTo])).toEqual([
    ['0:0', `${topics.log}:0:0`],
    ['0:1', `${topics.log}:0:0`],
    ['0:2', null],
  ]);
});

it('refuses a selection that names no dead letter, writing nothing, bad usage and an unreachable broker, with exit codes that say which', async () => {
  expect(await dlqWith({ KAFKA_BROKERS: '127.0.0.1:1' }, 'list')).toEqual({ code: 1, stdout: '', stderr: 'dlq list: Connection error: connect ECONNREFUSED 127.0.0.1:1\n' });
  expect(await dlqWith({ LETHE_TOPIC_PREFIX: 'bad prefix' }, 'list')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^dlq: LETHE_TOPIC_PREFIX may hold only/) });
  const missing = await dlq('redrive', '--offset', '0:2', '--offset', '42');
  expect(missing.code).toBe(3);
  expect(missing.stderr).toBe('dlq redrive: no dead letter at 0:42 (markers of earlier re-drives are not letters)\n');
  const marker = await dlq('redrive', '--offset', '3');
  expect(marker.code).toBe(3);
  expect((await dlq('redrive', '--reason', 'no_such_reason')).code).toBe(3);
  expect(await logEnd()).toBe(1);

  for (const args of [[], ['redrive'], ['redrive', '--offset', '1', '--reason', 'corrupt_datum'], ['redrive', '--offset', 'x'], ['list', '--yaml'], ['frobnicate']]) {
    const usage = await dlq(...args);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringMatching(/^usage: npm run dlq -- list \[--json\]/)]);
  }
});
