import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { Admin, Consumer, Producer } from 'kafkajs';
import { Pool } from 'pg';
import { verifyCertificate } from '@lethe/certificates';
import { erasureWorkId, optOutStepCompletedId, optOutWorkId } from '@lethe/contracts';
import { appendToConsentLog } from '@lethe/kafka';
import {
  collectMessages,
  createFreshTopic,
  createShopSchema,
  FakeProcessor,
  freePort,
  rowsById,
  seedCustomer,
  shopConfig,
  ShopCustomer,
  testEndpoints,
  testKafka,
  uniqueName,
  waitFor,
} from '@lethe/testing';
import { ApiHarness, LogTail } from './testing/api-harness';

// The scenario of the product's promise, on the real stack: a shop database (customers,
// addresses, orders, payments, invoices under a legal hold), a Redis session cache, a compacted
// customer-profile topic and a third-party marketing processor that confirms asynchronously
// through the signed callback. consent-api, the projector and the erasure worker run as they do
// in production: the API in-process on a real port, the projector and the worker as processes.

jest.setTimeout(120_000);

const endpoints = testEndpoints();
const SECRET = randomBytes(24).toString('hex');
const names = {
  shop: uniqueName('shop-db'),
  sessions: uniqueName('sessions'),
  profiles: uniqueName('profiles'),
  marketing: uniqueName('marketing'),
  legacy: uniqueName('legacy-crm'),
  quiet: uniqueName('quiet-vendor'),
};

let api: ApiHarness;
let processor: FakeProcessor;
/** Accepts every request and never confirms one. */
let quietProcessor: FakeProcessor;
let apiPort: number;
let pool: Pool;
let redis: Redis;
let admin: Admin;
let producer: Producer;
let tail: LogTail;
let shopSchema: string;
let profileTopic: string;
const children: ChildProcess[] = [];
const consumers: Consumer[] = [];

function start(entry: string, env: Record<string, string | undefined>): void {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, entry)], {
    cwd: resolve(__dirname, '../../..'),
    env,
    stdio: ['ignore', process.env.LETHE_E2E_LOG ? 'inherit' : 'ignore', 'inherit'],
  });
  children.push(child);
}

interface Step {
  system: string;
  status: string;
  action: string | null;
  counts: Record<string, number> | null;
  legalHold: string | null;
  retryable: boolean | null;
  reason: string | null;
  attempt: number | null;
}
interface RequestView {
  status: string;
  systems: Step[];
}

async function requestWhen(requestId: string, ready: (view: RequestView) => boolean, timeoutMs = 90_000): Promise<RequestView> {
  return waitFor(
    async () => {
      const response = await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}` });
      const view = response.json() as RequestView;
      return response.statusCode === 200 && ready(view) && view;
    },
    { description: `erasure request ${requestId} to reach the expected state`, timeoutMs },
  );
}

function requestErasure(subjectId: string, requestId: string, systems: string[], email?: string) {
  return api.post(`/v1/subjects/${subjectId}/erasure-requests`, {
    requestId,
    scope: 'ALL',
    jurisdiction: 'GDPR',
    keepTransactionHistory: true,
    systems,
    ...(email && { identities: [{ type: 'email', value: email }] }),
  });
}

const callbackUrl = (system: string) => `http://127.0.0.1:${apiPort}/v1/processors/${system}/callbacks`;
const stepOf = (view: RequestView, system: string) => view.systems.find((step) => step.system === system) as Step;

beforeAll(async () => {
  pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  shopSchema = await createShopSchema(pool);
  redis = new Redis(endpoints.redisUrl);
  const kafka = testKafka('erasure-saga-e2e');
  admin = kafka.admin();
  producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  profileTopic = await createFreshTopic(admin, 'customer-profiles', { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] });

  processor = new FakeProcessor(SECRET);
  const processorUrl = await processor.start();
  quietProcessor = new FakeProcessor(SECRET, null);
  const quietUrl = await quietProcessor.start();
  apiPort = await freePort();
  const { system: _system, ...shop } = shopConfig(endpoints.databaseUrl, shopSchema);
  const dir = mkdtempSync(join(tmpdir(), 'lethe-systems-'));
  const systemsFile = join(dir, 'systems.json');
  writeFileSync(
    systemsFile,
    JSON.stringify({
      retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 1_000 },
      systems: [
        { name: names.shop, type: 'sql', ...shop },
        {
          name: names.sessions,
          type: 'cache',
          url: endpoints.redisUrl,
          keys: ['session:{subjectId}'],
          patterns: ['cart:{subjectId}:*'],
          onOptOut: { marketing: 'suppress' },
        },
        { name: names.profiles, type: 'kafka', topics: [{ topic: profileTopic, key: '{subjectId}' }] },
        {
          name: names.marketing,
          type: 'http',
          url: processorUrl,
          secret: SECRET,
          callbackUrl: callbackUrl(names.marketing),
          onOptOut: { SALE: 'suppress' },
        },
        { name: names.quiet, type: 'http', url: quietUrl, secret: SECRET, callbackUrl: callbackUrl(names.quiet), confirmationTimeoutSeconds: 2 },
        // Taken out of service: nothing listens there any more.
        { name: names.legacy, type: 'http', url: 'http://127.0.0.1:1/opendsr', secret: SECRET },
      ],
    }),
  );

  api = await ApiHarness.start('erasure-saga-e2e', { LETHE_SYSTEMS_FILE: systemsFile });
  await api.app.listen(apiPort, '127.0.0.1');
  const consumer = kafka.consumer({ groupId: uniqueName('test.erasure-saga') });
  tail = api.logTail(consumer, waitFor);
  await tail.start();
  start('../../projector/src/main.ts', { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.saga-projector') });
  start('../../erasure-worker/src/main.ts', { ...api.env, LETHE_SYSTEMS_FILE: systemsFile, LETHE_WORKER_RETRY_POLL_MS: '100' });
  // Certificates cite a checkpoint of the log, as under `npm start`.
  start('../../checkpointer/src/main.ts', { ...api.env, LETHE_CHECKPOINT_KEY: randomBytes(32).toString('base64'), LETHE_CHECKPOINT_INTERVAL_MS: '200' });
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)))));
  await tail?.stop();
  await Promise.all(consumers.map((consumer) => consumer.disconnect()));
  await api?.close();
  await processor?.stop();
  await quietProcessor?.stop();
  await pool?.query(`drop schema if exists "${shopSchema}" cascade`);
  await Promise.all([pool?.end(), redis?.quit(), admin?.disconnect(), producer?.disconnect()]);
});

async function seedEverywhere(customer: ShopCustomer): Promise<void> {
  const subject = customer.externalId;
  await redis.set(`session:${subject}`, 'token');
  await redis.set(`cart:${subject}:1`, 'book');
  await redis.set(`cart:${subject}:2`, 'pen');
  await redis.set(`cart:${subject}x:1`, 'someone else');
  await producer.send({ topic: profileTopic, messages: [{ key: subject, value: JSON.stringify({ email: customer.email }) }] });
}

it('erases one customer everywhere, completes once every system acknowledged, and certifies it', async () => {
  const customer = await seedCustomer(pool, shopSchema, 'Ada Lovelace');
  await seedEverywhere(customer);
  const subject = customer.externalId;
  const requestId = uniqueName('dsr');
  const systems = [names.shop, names.sessions, names.profiles, names.marketing];

  expect((await requestErasure(subject, requestId, systems, customer.email)).statusCode).toBe(202);
  const done = await requestWhen(requestId, (view) => view.status === 'completed');

  // The shop: the customer and addresses deleted, orders and payments kept without identifiers.
  expect(await rowsById(pool, shopSchema, 'customers', [customer.id])).toEqual([]);
  expect(await rowsById(pool, shopSchema, 'addresses', customer.addressIds)).toEqual([]);
  const orders = await rowsById(pool, shopSchema, 'orders', customer.orderIds);
  expect(orders.map((o) => [o.customer_id, o.shipping_name, o.amount])).toEqual([
    [null, '[erased]', '19.99'],
    [null, '[erased]', '5.00'],
  ]);
  expect(orders[0].ordered_at).toEqual(new Date('2023-07-14T09:00:00Z'));
  const payments = await rowsById(pool, shopSchema, 'payments', customer.paymentIds);
  expect(payments.map((p) => p.amount)).toEqual(['19.99', '5.00']);
  expect(payments.every((p) => p.card_holder !== 'ADA LOVELACE')).toBe(true);
  const [invoice] = await rowsById(pool, shopSchema, 'invoices', customer.invoiceIds);
  expect(invoice).toMatchObject({ billing_email: null, amount: '24.99' });
  expect(stepOf(done, names.shop).legalHold).toContain('HGB');

  // The cache and the compacted topic.
  expect(await redis.exists(`session:${subject}`, `cart:${subject}:1`, `cart:${subject}:2`)).toBe(0);
  expect(await redis.get(`cart:${subject}x:1`)).toBe('someone else');
  expect(stepOf(done, names.sessions).counts).toEqual({ 'session:{subjectId}': 1, 'cart:{subjectId}:*': 2 });
  const reader = testKafka('erasure-saga-profiles').consumer({ groupId: uniqueName('test.profiles') });
  consumers.push(reader);
  await reader.connect();
  const profiles = await collectMessages(reader, profileTopic);
  const mine = await waitFor(() => {
    const records = profiles.filter((p) => p.message.key?.toString() === subject);
    return records.length === 2 && records;
  }, { description: 'the profile and its tombstone' });
  expect(mine[1].message.value).toBeNull();

  // The processor got one signed OpenDSR request with the e-mail, and confirmed by callback.
  const workId = erasureWorkId(subject, requestId);
  expect(processor.received.filter((r) => r.subjectRequestId === workId)).toEqual([
    { subjectRequestId: workId, type: 'erasure', identities: [expect.objectContaining({ identity_type: 'email', identity_value: customer.email })] },
  ]);
  expect(stepOf(done, names.marketing)).toMatchObject({ status: 'completed' });
  expect(done.systems.map((step) => step.status)).toEqual(['completed', 'completed', 'completed', 'completed']);

  // The certificate (once a checkpoint covers the request) names every system and verifies against the published key.
  const certificate = await waitFor(
    async () => {
      const response = await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}/certificate` });
      return response.statusCode === 200 && response;
    },
    { description: 'the certificate, once a checkpoint covers the request' },
  );
  const { publicKey } = (await api.call({ method: 'GET', url: '/v1/certificates/public-key' })).json() as { publicKey: string };
  const verified = verifyCertificate(certificate.json(), publicKey);
  expect(verified).toMatchObject({ valid: true, pinned: true });
  expect((certificate.json() as { systems: { system: string }[] }).systems.map((s) => s.system).sort()).toEqual([...systems].sort());
  expect(JSON.stringify(certificate.json())).not.toContain(customer.email);
});

it('retries a processor that is down, with backoff, and completes when it is back', async () => {
  processor.failNext(2);
  const subject = uniqueName('subj');
  const requestId = uniqueName('dsr');
  expect((await requestErasure(subject, requestId, [names.marketing], 'lin@example.com')).statusCode).toBe(202);
  await requestWhen(requestId, (view) => view.status === 'completed');
  expect(processor.refused).toBe(2);
  const failures = (await tail.settledEventsOf(subject)).filter((event) => event.payload.type === 'ErasureStepFailed');
  expect(failures.map((event) => event.payload)).toEqual([
    expect.objectContaining({ system: names.marketing, retryable: true, attempt: 1 }),
    expect.objectContaining({ system: names.marketing, retryable: true, attempt: 2 }),
  ]);
});

it('acts once and completes once when the same request arrives twice', async () => {
  const customer = await seedCustomer(pool, shopSchema, 'Grace Hopper');
  await seedEverywhere(customer);
  const subject = customer.externalId;
  const requestId = uniqueName('dsr');
  const systems = [names.shop, names.sessions];
  // Sent again at once (the API may not have seen the first folded yet: 202 or 200), and the first
  // record delivered twice, as a producer's retry can: the workers see the request at least twice.
  const first = await requestErasure(subject, requestId, systems);
  const second = await requestErasure(subject, requestId, systems);
  expect(first.statusCode).toBe(202);
  expect([200, 202]).toContain(second.statusCode);
  const requested = await tail.eventWithId(subject, (first.json() as { eventId: string }).eventId);
  await appendToConsentLog(api.runtime.producer, api.runtime.codec, api.topics.consentLog, [requested]);
  await requestWhen(requestId, (view) => view.status === 'completed');
  // Once folded, a third is recognised and writes nothing.
  expect((await requestErasure(subject, requestId, systems)).json()).toMatchObject({ status: 'unchanged', reason: 'already_requested' });

  // Each delivery is acknowledged again, but always as the same fact (one id per system).
  const count = (events: { payload: { type: string } }[], type: string) => events.filter((event) => event.payload.type === type).length;
  const events = await waitFor(
    async () => {
      const seen = await tail.settledEventsOf(subject);
      return count(seen, 'ErasureStepCompleted') === count(seen, 'ErasureRequested') * systems.length && seen;
    },
    { description: 'every delivery of the request to be acknowledged' },
  );
  expect(count(events, 'ErasureRequested')).toBeGreaterThanOrEqual(2);
  expect(new Set(events.filter((e) => e.payload.type === 'ErasureStepCompleted').map((e) => e.event_id)).size).toBe(systems.length);
  expect(count(events, 'ErasureRequestCompleted')).toBeGreaterThanOrEqual(1);
  expect(new Set(events.filter((e) => e.payload.type === 'ErasureRequestCompleted').map((e) => e.event_id)).size).toBe(1);
  const ledger = await pool.query(`select count(*)::int as n from "${shopSchema}".lethe_erasure_ledger where work_id = $1`, [erasureWorkId(subject, requestId)]);
  expect(ledger.rows[0].n).toBe(1);
});

it('reports partial success when a system is out of service, and the rest complete', async () => {
  const subject = uniqueName('subj');
  await redis.set(`session:${subject}`, 'token');
  const requestId = uniqueName('dsr');
  expect((await requestErasure(subject, requestId, [names.sessions, names.legacy], 'max@example.com')).statusCode).toBe(202);
  // The two systems run in their own groups, at their own pace: wait for both outcomes.
  const view = await requestWhen(requestId, (v) => stepOf(v, names.legacy)?.status === 'failed' && stepOf(v, names.legacy).retryable === false && stepOf(v, names.sessions)?.status !== 'pending');
  expect(view.status).toBe('open');
  expect(stepOf(view, names.sessions)).toMatchObject({ status: 'completed', action: 'delete' });
  expect(stepOf(view, names.legacy).reason).toEqual(expect.any(String));
  expect(await redis.exists(`session:${subject}`)).toBe(0);
  // It was retried with backoff before being reported failed for good.
  const failures = (await tail.settledEventsOf(subject)).filter((event) => event.payload.type === 'ErasureStepFailed');
  expect(failures.map((event) => [(event.payload as { attempt: number }).attempt, (event.payload as { retryable: boolean }).retryable])).toEqual([
    [1, true],
    [2, true],
    [3, false],
  ]);
});

it('lets an operator retry the failed system alone, which runs again with a fresh budget', async () => {
  const subject = uniqueName('subj');
  const requestId = uniqueName('dsr');
  await requestErasure(subject, requestId, [names.sessions, names.legacy], 'eve@example.com');
  await requestWhen(requestId, (v) => stepOf(v, names.legacy)?.status === 'failed' && stepOf(v, names.legacy).retryable === false);

  const retry = await api.post(`/v1/erasure-requests/${requestId}/systems/${names.legacy}/retry`);
  expect(retry.statusCode).toBe(202);
  // Still out of service: three more attempts, numbered on, and a final failure again.
  await waitFor(
    async () => {
      const failures = (await tail.settledEventsOf(subject)).filter((event) => event.payload.type === 'ErasureStepFailed');
      return failures.length === 6 && failures;
    },
    { description: 'the retried step to fail three more times', timeoutMs: 60_000 },
  );
  const events = await tail.settledEventsOf(subject);
  const attempts = events.flatMap((event) => (event.payload.type === 'ErasureStepFailed' ? [[event.payload.attempt, event.payload.retryable]] : []));
  expect(attempts.slice(3)).toEqual([
    [4, true],
    [5, true],
    [6, false],
  ]);
  // The other system was not run again.
  expect(events.filter((event) => event.payload.type === 'ErasureStepCompleted')).toHaveLength(1);
});

it('acts on a withdrawal where the systems file maps the purpose, and acknowledges it', async () => {
  const subject = uniqueName('subj');
  await redis.set(`session:${subject}`, 'token');
  const withdrawn = await api.post(`/v1/subjects/${subject}/consents/withdraw`, { purposes: ['marketing'] });
  expect(withdrawn.statusCode).toBe(202);
  const cause = (withdrawn.json() as { eventId: string }).eventId;
  const ack = await waitFor(
    async () => (await tail.settledEventsOf(subject)).find((event) => event.payload.type === 'OptOutStepCompleted'),
    { description: 'the cache to acknowledge the withdrawal' },
  );
  expect(ack).toMatchObject({ causation_id: cause, payload: { system: names.sessions, action: 'delete', counts: { 'session:{subjectId}': 1 } } });
  expect(await redis.exists(`session:${subject}`)).toBe(0);
  // Systems that map nothing to marketing did not act.
  expect((await tail.settledEventsOf(subject)).filter((event) => event.payload.type === 'OptOutStepCompleted')).toHaveLength(1);
});

it('sends an opt-out to the processor that maps it, and records its confirmation by callback', async () => {
  const subject = uniqueName('subj');
  const optedOut = await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'], jurisdiction: 'CCPA', identities: [{ type: 'email', value: 'ida@example.com' }] });
  expect(optedOut.statusCode).toBe(202);
  const cause = (optedOut.json() as { eventId: string }).eventId;

  const ack = await waitFor(
    async () => (await tail.settledEventsOf(subject)).find((event) => event.payload.type === 'OptOutStepCompleted'),
    { description: 'the processor to confirm the opt-out' },
  );
  // Sent as an OpenDSR opt-out of sale, with the identity the opt-out carried.
  const workId = optOutWorkId(subject, cause);
  expect(processor.received.filter((r) => r.subjectRequestId === workId)).toEqual([
    { subjectRequestId: workId, type: 'opt_out_sale', identities: [expect.objectContaining({ identity_type: 'email', identity_value: 'ida@example.com' })] },
  ]);
  // Confirmed through the callback, as the one fact the worker would have appended itself.
  expect(ack).toMatchObject({
    event_id: optOutStepCompletedId(workId, names.marketing),
    actor: `processor:${names.marketing}`,
    causation_id: cause,
    jurisdiction: 'CCPA',
    payload: { system: names.marketing, action: 'forwarded', counts: { contacts: 1 } },
  });
  expect(JSON.stringify(ack)).not.toContain('ida@example.com');
});

it('reports a request the processor accepted and never confirmed as failed, and completes on a late callback', async () => {
  const subject = uniqueName('subj');
  const requestId = uniqueName('dsr');
  expect((await requestErasure(subject, requestId, [names.quiet], 'joan@example.com')).statusCode).toBe(202);

  const lapsed = await requestWhen(requestId, (view) => stepOf(view, names.quiet)?.status === 'failed');
  expect(stepOf(lapsed, names.quiet)).toMatchObject({ retryable: false, reason: expect.stringMatching(/accepted the request but did not confirm it within 2 s/) });
  const workId = erasureWorkId(subject, requestId);
  expect(quietProcessor.received.filter((r) => r.subjectRequestId === workId)).toHaveLength(1);

  // The processor finally answers: the step completes, and so does the request.
  expect((await quietProcessor.sendCallback(callbackUrl(names.quiet), workId)).status).toBe(202);
  const done = await requestWhen(requestId, (view) => view.status === 'completed');
  expect(stepOf(done, names.quiet)).toMatchObject({ status: 'completed', counts: { contacts: 1 } });
});

it('sends the request again when an operator retries a step the processor reported failed', async () => {
  const subject = uniqueName('subj');
  const requestId = uniqueName('dsr');
  expect((await requestErasure(subject, requestId, [names.quiet], 'kay@example.com')).statusCode).toBe(202);
  const workId = erasureWorkId(subject, requestId);
  await waitFor(() => quietProcessor.received.some((r) => r.subjectRequestId === workId), { description: 'the processor to get the request' });

  expect((await quietProcessor.sendCallback(callbackUrl(names.quiet), workId, 'failed')).status).toBe(202);
  const refused = await requestWhen(requestId, (view) => stepOf(view, names.quiet)?.status === 'failed');
  expect(stepOf(refused, names.quiet).reason).toBe('the processor reported the request failed: processor_error');

  expect((await api.post(`/v1/erasure-requests/${requestId}/systems/${names.quiet}/retry`)).statusCode).toBe(202);
  await waitFor(() => quietProcessor.received.filter((r) => r.subjectRequestId === workId).length === 2, { description: 'the request to be sent again' });
  // Refused again: a new fact for the new attempt, not a repeat of the first that the fold skips.
  expect((await quietProcessor.sendCallback(callbackUrl(names.quiet), workId, 'failed')).status).toBe(202);
  const refusals = await waitFor(
    async () => {
      const found = (await tail.settledEventsOf(subject)).flatMap((event) =>
        event.payload.type === 'ErasureStepFailed' && event.payload.reason.startsWith('the processor reported') ? [event.payload.attempt] : [],
      );
      return found.length === 2 && found;
    },
    { description: 'the second refusal on the log' },
  );
  expect(refusals).toEqual([1, 2]);
  // Projected as failed again (with the first refusal's id reused, the fold would have skipped it
  // and left the step pending for good).
  const again = await requestWhen(requestId, (view) => stepOf(view, names.quiet)?.attempt === 2 && stepOf(view, names.quiet).reason?.startsWith('the processor reported') === true);
  expect(stepOf(again, names.quiet)).toMatchObject({ status: 'failed', retryable: false });
});

it('refuses a request id already used for another subject, and erases both subjects when the log holds one id twice', async () => {
  const first = await seedCustomer(pool, shopSchema, 'Ada Byron');
  const second = await seedCustomer(pool, shopSchema, 'Alan Turing');
  await Promise.all([seedEverywhere(first), seedEverywhere(second)]);
  const requestId = uniqueName('dsr');
  const systems = [names.shop, names.sessions];

  const accepted = await requestErasure(first.externalId, requestId, systems);
  expect(accepted.statusCode).toBe(202);
  const reused = await requestErasure(second.externalId, requestId, systems);
  expect(reused.statusCode).toBe(409);
  expect(reused.json()).toMatchObject({ reason: 'request_id_in_use' });
  expect(JSON.stringify(reused.json())).not.toContain(second.externalId);

  // A log written by another producer (or before ids were checked) may still hold the same request
  // id for two subjects: each subject's erasure is its own work, erased and acknowledged on its own.
  const requested = await tail.eventWithId(first.externalId, (accepted.json() as { eventId: string }).eventId);
  await appendToConsentLog(api.runtime.producer, api.runtime.codec, api.topics.consentLog, [{ ...requested, event_id: randomUUID(), subject_id: second.externalId }]);

  const bothDone = async () => {
    const rows = await api.runtime.db.query(`select subject_id, status from erasure_requests where request_id = $1 order by subject_id`, [requestId]);
    return rows.length === 2 && rows.every((row: { status: string }) => row.status === 'completed') && rows;
  };
  expect(await waitFor(bothDone, { description: 'both subjects’ requests to complete', timeoutMs: 90_000 })).toEqual(
    [first.externalId, second.externalId].sort().map((subject_id) => ({ subject_id, status: 'completed' })),
  );
  for (const customer of [first, second]) {
    expect(await rowsById(pool, shopSchema, 'customers', [customer.id])).toEqual([]);
    expect(await redis.exists(`session:${customer.externalId}`)).toBe(0);
  }
  const acks = [...(await tail.settledEventsOf(first.externalId)), ...(await tail.settledEventsOf(second.externalId))].filter(
    (event) => event.payload.type === 'ErasureStepCompleted' || event.payload.type === 'ErasureRequestCompleted',
  );
  expect(acks).toHaveLength(6);
  expect(new Set(acks.map((event) => event.event_id)).size).toBe(6);
  // The single read of a request id that the log holds for two subjects says so, naming neither.
  const ambiguous = await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}` });
  expect(ambiguous.statusCode).toBe(409);
  expect(ambiguous.json()).toMatchObject({ reason: 'request_id_ambiguous' });
});
