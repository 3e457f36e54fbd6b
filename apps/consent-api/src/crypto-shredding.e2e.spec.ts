import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { Admin } from 'kafkajs';
import { Pool } from 'pg';
import { type SignedCertificate, verifyCertificate } from '@lethe/certificates';
import { keyShreddedId } from '@lethe/contracts';
import { AppProcess, findIdentifiers, tableBytes, testEndpoints, testKafka, topicBytes, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness, LogTail } from './testing/api-harness';

// Crypto-shredding through the running services (docs/adr/0018): an erasure of all the subject's
// data completes, the projector appends KeyShredded once and destroys the key; `lethe history`
// shows [shredded]; a key store restored from a backup is shredded again when the projector
// starts; a system declared later fails its step as identity_shredded; and no identifier is left
// in any Lethe topic or table, in clear or in any encoding the code uses.

jest.setTimeout(240_000);

const endpoints = testEndpoints();
const subject = `subj-${randomBytes(5).toString('hex')}`;
const email = `shred.${randomBytes(4).toString('hex')}@example.com`;
const phone = `+49 170 ${1_000_000 + randomBytes(3).readUIntBE(0, 3)}`;
const identities = [
  { type: 'email', value: email },
  { type: 'phone', value: phone },
];
const requestId = uniqueName('dsr');
const redisPrefix = uniqueName('shred');
const names = { sessions: uniqueName('sessions'), lateByEmail: uniqueName('late-by-email'), lateBySubject: uniqueName('late-by-subject') };

let api: ApiHarness;
let pool: Pool;
let redis: Redis;
let admin: Admin;
let tail: LogTail;
let dir: string;
let projectorEnv: Record<string, string | undefined>;
const apps: AppProcess[] = [];

const start = (entry: string, env: Record<string, string | undefined>, args: string[] = []) => {
  const app = new AppProcess(entry, env, args);
  apps.push(app);
  return app;
};

function systemsFile(name: string, systems: object[]): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 1_000 }, systems }));
  return path;
}

const cache = (name: string, keys: string[]) => ({ name, type: 'cache', url: endpoints.redisUrl, keys });
const sessions = cache(names.sessions, [`${redisPrefix}:session:{subjectId}`, `${redisPrefix}:profile:{identity:email}`]);

/** The subject's row in the key store, as a backup of it would hold it. */
const keyRow = async () => (await pool.query(`select * from "${api.schema}".subject_keys where subject_id = $1`, [subject])).rows[0];
const keyDestroyed = () => waitFor(async () => (await keyRow())?.wrapped_key === null, { description: "the subject's data key to be destroyed", timeoutMs: 60_000 });
const request = async () => (await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}` })).json();

beforeAll(async () => {
  pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  redis = new Redis(endpoints.redisUrl);
  admin = testKafka('crypto-shredding-e2e').admin();
  await admin.connect();
  dir = mkdtempSync(join(tmpdir(), 'lethe-shredding-'));
  const dayOne = systemsFile('day-one', [sessions]);
  api = await ApiHarness.start('crypto-shredding-e2e', { LETHE_SYSTEMS_FILE: dayOne });
  tail = api.logTail(testKafka('crypto-shredding-tail').consumer({ groupId: uniqueName('test.shredding-tail') }), waitFor);
  await tail.start();
  projectorEnv = { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.shredding-projector') };
  start('apps/projector/src/main.ts', projectorEnv);
  start('apps/erasure-worker/src/main.ts', { ...api.env, LETHE_SYSTEMS_FILE: dayOne, LETHE_WORKER_RETRY_POLL_MS: '100' });
  // Certificates cite a checkpoint of the log, as under `npm start`.
  start('apps/checkpointer/src/main.ts', { ...api.env, LETHE_CHECKPOINT_KEY: randomBytes(32).toString('base64'), LETHE_CHECKPOINT_INTERVAL_MS: '200' });
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await tail?.stop();
  await api?.close();
  await Promise.all([pool?.end(), redis?.quit(), admin?.disconnect()]);
});

it('shreds the key once the erasure completes, once, for good, and leaves no identifier anywhere', async () => {
  await redis.set(`${redisPrefix}:session:${subject}`, 'token');
  await redis.set(`${redisPrefix}:profile:${email}`, 'profile');
  // A withdrawal and an erasure, both carrying the identifiers (encrypted under the subject's key).
  expect((await api.post(`/v1/subjects/${subject}/consents/withdraw`, { purposes: ['marketing'], jurisdiction: 'GDPR', identities })).statusCode).toBe(202);
  const backup = await keyRow();
  expect(backup.wrapped_key).toBeInstanceOf(Buffer);
  expect((await api.post(`/v1/subjects/${subject}/erasure-requests`, { requestId, scope: 'ALL', jurisdiction: 'GDPR', identities })).statusCode).toBe(202);

  // Completed by the day-one system, which found the profile by the e-mail address; then shredded.
  await waitFor(async () => (await request()).status === 'completed', { description: 'the erasure to complete', timeoutMs: 60_000 });
  expect(await redis.exists(`${redisPrefix}:profile:${email}`)).toBe(0);
  await keyDestroyed();
  const shred = await tail.eventWithId(subject, keyShreddedId(subject));
  expect(shred).toMatchObject({ actor: 'lethe-projector', source: 'SYSTEM', identities: null, correlation_id: requestId, payload: { type: 'KeyShredded', request_id: requestId, cause: 'ERASURE_COMPLETED' } });
  expect((await api.call({ method: 'GET', url: `/v1/subjects/${subject}/consent` })).json().keyShredded).toEqual({ at: new Date(shred.recorded_at).toISOString(), cause: 'erasure_completed', requestId });

  // The certificate never held identifiers, and still verifies.
  const certificate = await waitFor(
    async () => {
      const response = await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}/certificate` });
      return response.statusCode === 200 && (response.json() as SignedCertificate);
    },
    { description: 'the certificate, once a checkpoint covers the request' },
  );
  const publicKey = (await api.call({ method: 'GET', url: '/v1/certificates/public-key' })).json().publicKey as string;
  expect(verifyCertificate(certificate, publicKey)).toMatchObject({ valid: true, pinned: true });

  // No new identifier can be stored for the subject.
  const again = await api.post(`/v1/subjects/${subject}/erasure-requests`, { requestId: uniqueName('dsr'), scope: 'ALL', jurisdiction: 'GDPR', identities });
  expect(again.json()).toMatchObject({ statusCode: 409, reason: 'subject_key_shredded' });

  // The auditor's timeline and replay: every identifier shows as [shredded], none as [encrypted] or in clear.
  const history = start('apps/lethe-cli/bin/lethe.js', { ...api.env, LETHE_MASTER_KEY: '' }, ['history', '--subject', subject]);
  expect(await history.exited()).toBe(0);
  const carrying = history.output.split('\n').filter((line) => line.includes('identities='));
  expect(carrying.map((line) => line.split('  ').at(-1))).toEqual(['identities=[shredded]', 'identities=[shredded]']);
  expect(history.output).toMatch(new RegExp(`  KeyShredded  request=${requestId} cause=ERASURE_COMPLETED  purposes=-  source=SYSTEM  actor=lethe-projector  jurisdiction=GDPR  `));
  expect(history.output).not.toContain(email);
  const asOf = start('apps/lethe-cli/bin/lethe.js', { ...api.env, LETHE_MASTER_KEY: '' }, ['as-of', '--subject', subject, '--at', new Date().toISOString()]);
  expect(await asOf.exited()).toBe(0);
  expect(asOf.output.split('\n').filter((line) => line.includes('identities=')).map((line) => line.split('  ').at(-1))).toEqual(['identities=[shredded]', 'identities=[shredded]']);

  // A key store restored from a backup taken before the shred: the projector's next start destroys the key again.
  await apps[0].stop();
  await pool.query(`update "${api.schema}".subject_keys set wrapped_key = $2, shredded_at = null where subject_id = $1`, [subject, backup.wrapped_key]);
  expect((await keyRow()).wrapped_key).toBeInstanceOf(Buffer);
  const restarted = start('apps/projector/src/main.ts', projectorEnv);
  await keyDestroyed();
  await waitFor(() => /re-applied KeyShredded from the log: destroyed 1 data key/.test(restarted.output), { description: 'the projector to say it re-applied the shred' });

  // Systems declared later catch up on the old request: one that finds the subject by id erases;
  // one that needs the e-mail address fails for good, saying the identities were shredded.
  const later = systemsFile('later', [sessions, cache(names.lateByEmail, [`${redisPrefix}:recent:{identity:email}`]), cache(names.lateBySubject, [`${redisPrefix}:late:{subjectId}`])]);
  start('apps/erasure-worker/src/main.ts', { ...api.env, LETHE_SYSTEMS_FILE: later, LETHE_WORKER_SYSTEMS: `${names.lateByEmail},${names.lateBySubject}`, LETHE_WORKER_RETRY_POLL_MS: '100' });
  const steps = await waitFor(
    async () => {
      const systems: { system: string; status: string }[] = (await request()).systems;
      const late = systems.filter((step) => step.system !== names.sessions);
      return late.length === 2 && late.every((step) => step.status !== 'pending') && Object.fromEntries(late.map((step) => [step.system, step]));
    },
    { description: 'the later systems to report on the old request', timeoutMs: 90_000 },
  );
  expect(steps[names.lateBySubject]).toMatchObject({ status: 'completed' });
  expect(steps[names.lateByEmail]).toMatchObject({ status: 'failed', retryable: false, reason: expect.stringMatching(/identity_shredded: .*\(email\)/) });

  // One KeyShredded on the log, whatever completed or restarted since.
  const shreds = (await tail.settledEventsOf(subject)).filter((event) => event.payload.type === 'KeyShredded');
  expect(shreds).toHaveLength(1);

  // The raw bytes of every Lethe topic (keys, values, headers) and every table of its schema.
  const haystacks = [...(await topicBytes(testKafka('crypto-shredding-scan'), admin, api.env.LETHE_TOPIC_PREFIX ?? '')), ...(await tableBytes(pool, api.schema))];
  expect(haystacks.some((haystack) => haystack.where.startsWith(`${api.topics.consentLog} `))).toBe(true);
  expect(haystacks.some((haystack) => haystack.where.startsWith(`${api.schema}.subject_keys `))).toBe(true);
  expect(findIdentifiers(haystacks, [email, phone])).toEqual([]);
});
