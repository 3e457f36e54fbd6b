import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { Admin, Consumer } from 'kafkajs';
import { Pool } from 'pg';
import { consumerGroupsFor, erasureWorkId } from '@lethe/contracts';
import { AppProcess, createShopSchema, FakeProcessor, rowsById, seedCustomer, shopConfig, ShopCustomer, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness, LogTail } from './testing/api-harness';

// Systems declared after the facts they must act on, catching up on consent.log from offset 0:
// an erasure that named no systems reaches them too (a system that needs the identities, shredded
// when the erasure completed, fails saying so), a withdrawal still in force is acted on, and
// a withdrawal the subject reversed by granting the purpose again is not (nor are its identities
// sent to a new third party).

jest.setTimeout(180_000);

const endpoints = testEndpoints();
const SECRET = randomBytes(24).toString('hex');
const names = { sessions: uniqueName('sessions'), shop: uniqueName('shop'), mailer: uniqueName('mailer') };

let api: ApiHarness;
let pool: Pool;
let redis: Redis;
let admin: Admin;
let tail: LogTail;
let mailer: FakeProcessor;
let schema: string;
let dir: string;
const apps: AppProcess[] = [];
const consumers: Consumer[] = [];

const start = (entry: string, env: Record<string, string | undefined>) => apps.push(new AppProcess(entry, env));

function systemsFile(name: string, systems: object[]): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 1_000 }, systems }));
  return path;
}

beforeAll(async () => {
  pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  schema = await createShopSchema(pool);
  redis = new Redis(endpoints.redisUrl);
  admin = testKafka('catch-up-e2e').admin();
  await admin.connect();
  mailer = new FakeProcessor(SECRET, null);
  dir = mkdtempSync(join(tmpdir(), 'lethe-catch-up-'));
  // Day one: only the session cache is declared.
  const dayOne = systemsFile('day-one', [{ name: names.sessions, type: 'cache', url: endpoints.redisUrl, keys: ['session:{subjectId}'], onOptOut: { marketing: 'suppress' } }]);
  api = await ApiHarness.start('catch-up-e2e', { LETHE_SYSTEMS_FILE: dayOne });
  const consumer = testKafka('catch-up-tail').consumer({ groupId: uniqueName('test.catch-up') });
  tail = api.logTail(consumer, waitFor);
  await tail.start();
  start('apps/projector/src/main.ts', { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.catch-up-projector') });
  start('apps/erasure-worker/src/main.ts', { ...api.env, LETHE_SYSTEMS_FILE: dayOne, LETHE_WORKER_RETRY_POLL_MS: '100' });
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await tail?.stop();
  await Promise.all(consumers.map((c) => c.disconnect()));
  await api?.close();
  await mailer?.stop();
  await pool?.query(`drop schema if exists "${schema}" cascade`);
  await Promise.all([pool?.end(), redis?.quit(), admin?.disconnect()]);
});

const withEmail = (customer: ShopCustomer) => ({ identities: [{ type: 'email', value: customer.email }] });

async function projected(subject: string, ready: (state: { purposes: Record<string, { status: string; policyVersion: string | null }> }) => boolean) {
  return waitFor(
    async () => {
      const response = await api.call({ method: 'GET', url: `/v1/subjects/${subject}/consent` });
      return response.statusCode === 200 && ready(response.json()) && response.json();
    },
    { description: `the projection of ${subject}`, timeoutMs: 60_000 },
  );
}

it('erases, and acts on what is still in force, in systems declared after the facts', async () => {
  const erased = await seedCustomer(pool, schema, 'Erin Example');
  const regranted = await seedCustomer(pool, schema, 'Rita Example');
  const withdrawn = await seedCustomer(pool, schema, 'Walt Example');
  await redis.set(`session:${erased.externalId}`, 'token');

  // Day one. An erasure naming no systems: every system declared now (the cache) completes it.
  const requestId = uniqueName('dsr');
  expect((await api.post(`/v1/subjects/${erased.externalId}/erasure-requests`, { requestId, scope: 'ALL', jurisdiction: 'GDPR', ...withEmail(erased) })).statusCode).toBe(202);
  // A withdrawal reversed by a new grant, and one that stands.
  for (const customer of [regranted, withdrawn]) {
    expect((await api.post(`/v1/subjects/${customer.externalId}/consents/grant`, { purposes: ['marketing'], policyVersion: '2026-01' })).statusCode).toBe(202);
    expect((await api.post(`/v1/subjects/${customer.externalId}/consents/withdraw`, { purposes: ['marketing'], ...withEmail(customer) })).statusCode).toBe(202);
  }
  const regrant = await api.post(`/v1/subjects/${regranted.externalId}/consents/grant`, { purposes: ['marketing'], policyVersion: '2026-02' });
  expect(regrant.statusCode).toBe(202);
  await waitFor(
    async () => (await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}` })).json().status === 'completed',
    { description: 'the erasure to complete in the systems of day one', timeoutMs: 60_000 },
  );
  await waitFor(
    async () => (await pool.query(`select wrapped_key from "${api.schema}".subject_keys where subject_id = $1`, [erased.externalId])).rows[0]?.wrapped_key === null,
    { description: "the erased subject's key to be shredded" },
  );
  await projected(regranted.externalId, (state) => state.purposes.marketing?.status === 'granted' && state.purposes.marketing.policyVersion === '2026-02');
  await projected(withdrawn.externalId, (state) => state.purposes.marketing?.status === 'withdrawn');

  // Later: the shop database and a mailing processor are declared, and catch up from offset 0.
  const { system: _system, ...shop } = shopConfig(endpoints.databaseUrl, schema);
  const later = systemsFile('later', [
    { name: names.sessions, type: 'cache', url: endpoints.redisUrl, keys: ['session:{subjectId}'], onOptOut: { marketing: 'suppress' } },
    { name: names.shop, type: 'sql', ...shop, onOptOut: { marketing: 'delete' } },
    { name: names.mailer, type: 'http', url: await mailer.start(), secret: SECRET, callbackUrl: 'http://127.0.0.1:1/callbacks', identities: ['email'], onOptOut: { marketing: 'suppress' } },
  ]);
  start('apps/erasure-worker/src/main.ts', { ...api.env, LETHE_SYSTEMS_FILE: later, LETHE_WORKER_SYSTEMS: `${names.shop},${names.mailer}`, LETHE_WORKER_RETRY_POLL_MS: '100' });

  // Both new systems read the whole log before anything is judged absent.
  const groups = consumerGroupsFor(api.env.LETHE_TOPIC_PREFIX ?? '');
  await waitFor(
    async () => {
      const ends = await admin.fetchTopicOffsets(api.topics.consentLog);
      const caughtUp = await Promise.all(
        [names.shop, names.mailer].map(async (system) => {
          const [committed] = await admin.fetchOffsets({ groupId: groups.erasureWorker(system), topics: [api.topics.consentLog] });
          return ends.every(({ partition, high }) => BigInt(committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1') >= BigInt(high) || high === '0');
        }),
      );
      return caughtUp.every(Boolean);
    },
    { description: 'the new systems to catch up on consent.log', timeoutMs: 120_000 },
  );

  // The erasure reached the shop, which held the subject's rows, and shows in the request. The
  // mailer finds people by e-mail only, and the request's identities were shredded when it completed
  // on day one (docs/adr/0018): its step fails for good, saying so, and nothing is sent.
  expect(await rowsById(pool, schema, 'customers', [erased.id])).toEqual([]);
  const request = await waitFor(
    async () => {
      const body = (await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}` })).json();
      // Each system's acknowledgement is folded on its own: wait for both, the mailer's failure and the shop's step.
      const steps = body.systems as { system: string; status: string }[];
      return steps.some((step) => step.system === names.mailer && step.status === 'failed') && steps.some((step) => step.system === names.shop && step.status !== 'pending') && body;
    },
    { description: "the mailer's step of the shredded request to fail and the shop's to be acknowledged" },
  );
  expect(request.systems.find((step: { system: string }) => step.system === names.shop)).toMatchObject({ status: 'completed' });
  expect(request.systems.find((step: { system: string }) => step.system === names.mailer)).toMatchObject({ retryable: false, reason: expect.stringMatching(/identity_shredded: .*\(email\)/) });
  expect(mailer.received.filter((r) => r.subjectRequestId === erasureWorkId(erased.externalId, requestId))).toEqual([]);

  // The standing withdrawal is acted on; the reversed one is not, and its identity goes nowhere.
  expect(await rowsById(pool, schema, 'customers', [withdrawn.id])).toEqual([]);
  expect(await rowsById(pool, schema, 'customers', [regranted.id])).toEqual([expect.objectContaining({ name: 'Rita Example' })]);
  const shopAcks = async (subject: string) => (await tail.settledEventsOf(subject)).filter((event) => event.payload.type === 'OptOutStepCompleted' && event.actor.endsWith(names.shop));
  expect(await shopAcks(withdrawn.externalId)).toHaveLength(1);
  expect(await shopAcks(regranted.externalId)).toEqual([]);
  expect(mailer.received.filter((r) => r.identities.some((identity) => identity.identity_value === withdrawn.email))).toEqual([expect.objectContaining({ type: 'restriction' })]);
  expect(mailer.received.some((r) => r.identities.some((identity) => identity.identity_value === regranted.email))).toBe(false);
});
