import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { erasureStepCompletedId, erasureStepFailedId, erasureWorkId } from '@lethe/contracts';
import { SIGNATURE_HEADERS, signPayload } from '@lethe/connectors';
import { OutstandingSteps } from '@lethe/persistence';
import { testKafka, uniqueName, waitFor } from '@lethe/testing';
import type { LightMyRequestResponse } from 'fastify';
import { ApiHarness, ERROR_KEYS, LogTail } from './testing/api-harness';

// A third-party processor reports through the signed callback: the API checks the signature
// against the systems file's secret, finds the request in the projection (the projector runs as
// its own process) and appends the step's fact to consent.log.

const SECRET = 'mail-vendor-shared-secret-0123456789';
const EMAIL = 'ada@example.com';
const VENDOR = uniqueName('mail-vendor');
const CACHE = uniqueName('session-cache');

let api: ApiHarness;
let tail: LogTail;
let projector: ChildProcess;
let dir: string;

interface Erasure {
  subject: string;
  requestId: string;
  /** What the processor was sent as subject_request_id, and quotes back. */
  workId: string;
}
function anErasure(): Erasure {
  const subject = uniqueName('subj');
  const requestId = uniqueName('dsr');
  return { subject, requestId, workId: erasureWorkId(subject, requestId) };
}
const completed = anErasure();
const failed = anErasure();
const pending = anErasure();

const url = (system = VENDOR) => `/v1/processors/${system}/callbacks`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A callback as the processor sends it: the body, signed with `secret` at `timestamp`. */
function signed(body: object | string, { secret = SECRET, timestamp = nowSeconds() } = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return { raw, headers: { [SIGNATURE_HEADERS.timestamp]: String(timestamp), [SIGNATURE_HEADERS.signature]: signPayload(secret, timestamp, raw) } };
}

function send({ raw, headers }: { raw: string; headers: Record<string, string> }, system = VENDOR): Promise<LightMyRequestResponse> {
  return api.post(url(system), raw, { headers, key: null });
}

/** An error in the API's shape that quotes nothing the caller sent. */
function expectError(response: LightMyRequestResponse, statusCode: number, message: RegExp) {
  expect(response.statusCode).toBe(statusCode);
  const body = response.json();
  expect(Object.keys(body).every((key) => ERROR_KEYS.includes(key))).toBe(true);
  expect(body.message).toMatch(message);
  for (const sent of [SECRET, EMAIL, completed.requestId, completed.workId, completed.subject]) expect(response.body).not.toContain(sent);
}

async function stepEvents(subject: string, type: string) {
  return (await tail.settledEventsOf(subject)).filter((event) => event.payload.type === type);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lethe-processors-'));
  const systemsFile = join(dir, 'systems.yaml');
  writeFileSync(
    systemsFile,
    [
      'systems:',
      `  - { name: ${VENDOR}, type: http, url: "http://127.0.0.1:9/opendsr", secret: ${SECRET}, replayWindowSeconds: 120 }`,
      `  - { name: ${CACHE}, type: cache, url: "redis://127.0.0.1:6379", keys: ["session:{subjectId}"] }`,
    ].join('\n'),
  );
  api = await ApiHarness.start('processor-callback-e2e', { LETHE_SYSTEMS_FILE: systemsFile });
  tail = api.logTail(testKafka('consent-api-callbacks').consumer({ groupId: uniqueName('test.api-callbacks') }), waitFor);
  await tail.start();
  projector = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, '../../projector/src/main.ts')], {
    cwd: resolve(__dirname, '../../..'),
    env: { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.callbacks') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (const { subject, requestId } of [completed, failed, pending]) {
    const created = await api.post(`/v1/subjects/${subject}/erasure-requests`, { requestId, scope: 'ALL', jurisdiction: 'GDPR', systems: [VENDOR], identities: [{ type: 'email', value: EMAIL }] });
    expect(created.statusCode).toBe(202);
  }
  for (const { requestId } of [completed, failed, pending]) await stepOf(requestId, (step) => step.status === 'pending');
});

afterAll(async () => {
  projector?.kill('SIGTERM');
  if (projector) await new Promise((done) => projector.once('exit', done));
  await tail?.stop();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Step = { system: string; status: string; action: string | null; counts: Record<string, number> | null; reason: string | null; retryable: boolean | null };

/** Waits until the projection shows the vendor's step of the request as `ready` wants it. */
function stepOf(requestId: string, ready: (step: Step) => boolean): Promise<Step> {
  return waitFor(
    async () => {
      const response = await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}` });
      const step = response.statusCode === 200 ? (response.json().systems as Step[]).find((s) => s.system === VENDOR) : undefined;
      return step && ready(step) && step;
    },
    { description: `the projection of ${requestId} at ${VENDOR}`, timeoutMs: 60_000 },
  );
}

describe('POST /v1/processors/:system/callbacks', () => {
  it('records a completion as one ErasureStepCompleted, with the id a synchronous completion would have', async () => {
    const callback = signed({ subject_request_id: completed.workId, request_status: 'completed', controller_id: 'lethe', counts: { contacts: 2, events: 14 } });
    const response = await send(callback);

    expect(response.statusCode).toBe(202);
    const eventId = erasureStepCompletedId(completed.workId, VENDOR);
    expect(response.json()).toMatchObject({ status: 'accepted', eventId, type: 'ErasureStepCompleted', subjectRequestId: completed.workId, system: VENDOR, requestStatus: 'completed' });
    const event = await tail.eventWithId(completed.subject, eventId);
    expect(event).toMatchObject({ source: 'SYSTEM', actor: `processor:${VENDOR}`, jurisdiction: 'GDPR', correlation_id: completed.requestId, identities: null });
    expect(event.payload).toEqual({
      type: 'ErasureStepCompleted',
      request_id: completed.requestId,
      system: VENDOR,
      action: 'forwarded',
      counts: { contacts: 2, events: 14 },
      evidence_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      legal_hold: null,
      strategies: {},
    });
    expect((await stepEvents(completed.subject, 'ErasureStepCompleted')).map((e) => e.event_id)).toEqual([eventId]);
    await expect(stepOf(completed.requestId, (step) => step.status === 'completed')).resolves.toMatchObject({ action: 'forwarded', counts: { contacts: 2, events: 14 } });

    // The processor sends the very same callback again (it retries until it sees a 2xx): the same
    // answer, and nothing new on the log now that the fact is projected.
    const replay = await send(callback);
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toMatchObject({ status: 'accepted', eventId });
    expect((await stepEvents(completed.subject, 'ErasureStepCompleted')).map((e) => e.event_id)).toEqual([eventId]);
  });

  it('records a failure as final, with a reason code and never the free text', async () => {
    const response = await send(signed({ subject_request_id: failed.workId, request_status: 'failed', reason: `no account for ${EMAIL}` }));

    expect(response.statusCode).toBe(202);
    const eventId = erasureStepFailedId(failed.workId, VENDOR, 'processor-callback:1');
    expect(response.json()).toMatchObject({ eventId, type: 'ErasureStepFailed' });
    const event = await tail.eventWithId(failed.subject, eventId);
    expect(event.payload).toEqual({ type: 'ErasureStepFailed', request_id: failed.requestId, system: VENDOR, retryable: false, attempt: 1, reason: 'the processor reported the request failed: other' });
    expect(JSON.stringify(event)).not.toContain(EMAIL);

    const coded = await send(signed({ subject_request_id: failed.workId, request_status: 'failed', reason: 'subject_not_found' }));
    expect(coded.json()).toMatchObject({ eventId }); // one failure per processor and request
  });

  it('notes a pending status without writing anything', async () => {
    const response = await send(signed({ subject_request_id: pending.workId, request_status: 'in_progress' }));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ status: 'noted', eventId: null });
    expect((await tail.settledEventsOf(pending.subject)).map((e) => e.payload.type)).toEqual(['ErasureRequested']);
  });

  it('refuses a tampered body, another secret, and a stale or future timestamp, saying which', async () => {
    const body = { subject_request_id: completed.workId, request_status: 'completed' };
    const good = signed(body);
    expectError(await send({ ...good, raw: JSON.stringify({ ...body, counts: { contacts: 99 } }) }), 401, /signature does not match/);
    expectError(await send(signed(body, { secret: 'someone-elses-secret-0123456789' })), 401, /signature does not match/);
    expectError(await send(signed(body, { timestamp: nowSeconds() - 121 })), 401, /stale: its X-Lethe-Timestamp is more than 120 s from now/);
    expectError(await send(signed(body, { timestamp: nowSeconds() + 121 })), 401, /stale/);
  });

  it('refuses a callback without signature headers, even with a valid API key', async () => {
    const raw = JSON.stringify({ subject_request_id: completed.workId, request_status: 'completed' });
    expectError(await api.post(url(), raw), 401, /must be signed: X-Lethe-Timestamp .* and X-Lethe-Signature/);
    const garbled = { [SIGNATURE_HEADERS.timestamp]: 'yesterday', [SIGNATURE_HEADERS.signature]: 'v1=zz' };
    expectError(await send({ raw, headers: garbled }), 401, /must be signed/);
  });

  it('takes the confirmation of a processor declared after the request, which its worker sent the request to', async () => {
    // A request that named only the cache; the vendor joined later and its worker, catching up,
    // sent it the request (docs/adr/0013), keeping the record of what it sent, as workers do.
    const late = anErasure();
    const created = await api.post(`/v1/subjects/${late.subject}/erasure-requests`, { requestId: late.requestId, scope: 'ALL', jurisdiction: 'GDPR', systems: [CACHE] });
    await waitFor(async () => (await api.call({ method: 'GET', url: `/v1/erasure-requests/${late.requestId}` })).statusCode === 200, { description: 'the request to be projected' });
    const body = { subject_request_id: late.workId, request_status: 'completed', counts: { contacts: 1 } };
    expectError(await send(signed(body)), 404, /does not involve this processor/);
    const requested = await tail.eventWithId(late.subject, created.json().eventId);
    await new OutstandingSteps(api.runtime.db, VENDOR).awaitConfirmation(late.workId, 1, 1, new Date(Date.now() + 60_000), await api.runtime.codec.encode(requested));
    const response = await send(signed(body));
    expect(response.statusCode).toBe(202);
    await expect(stepOf(late.requestId, (step) => step.status === 'completed')).resolves.toMatchObject({ counts: { contacts: 1 } });
  });

  it('takes a callback that comes before the projector folded the request, from what the worker sent', async () => {
    // A fast processor can answer before the projection holds the request: the worker's record
    // of what it sent is enough to know whose request it is. The request itself is never
    // appended here, so the projection cannot know it.
    const early = anErasure();
    const now = Date.now();
    const requested = {
      event_id: randomUUID(), subject_id: early.subject, occurred_at: now, recorded_at: now, source: 'API' as const, actor: 'test', jurisdiction: 'GDPR' as const,
      policy_version: null, purposes: [], correlation_id: null, causation_id: null, identities: null,
      payload: { type: 'ErasureRequested' as const, request_id: early.requestId, scope: 'ALL' as const, keep_transaction_history: false, systems: [VENDOR], all_systems: false },
    };
    await new OutstandingSteps(api.runtime.db, VENDOR).awaitConfirmation(early.workId, 1, 1, new Date(now + 60_000), await api.runtime.codec.encode(requested));
    const response = await send(signed({ subject_request_id: early.workId, request_status: 'completed', counts: { contacts: 1 } }));
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ eventId: erasureStepCompletedId(early.workId, VENDOR), type: 'ErasureStepCompleted' });
    const [ack] = await waitFor(async () => { const acks = await stepEvents(early.subject, 'ErasureStepCompleted'); return acks.length > 0 && acks; }, { description: 'the acknowledgement on the log' });
    expect(ack.payload).toMatchObject({ request_id: early.requestId, system: VENDOR });
  });

  it('answers 404 for an unknown system, a system that is not a processor, and an unknown request', async () => {
    const body = { subject_request_id: completed.workId, request_status: 'completed' };
    expectError(await send(signed(body), 'no-such-vendor'), 404, /no third-party processor/);
    expectError(await send(signed(body), CACHE), 404, /no third-party processor/);
    expectError(await send(signed({ ...body, subject_request_id: 'dsr-never-made' })), 404, /no erasure request or opt-out sent to this processor has this subject_request_id/);
  });

  it('refuses a signed body that is not a status callback, naming the field', async () => {
    expectError(await send(signed({ subject_request_id: completed.workId, request_status: 'done' })), 400, /request_status must be one of/);
    expectError(await send(signed({ subject_request_id: completed.workId, request_status: 'completed', counts: { [EMAIL]: 1 } })), 400, /counts must be/);
    expect((await send(signed({ request_status: 'completed' }))).json()).toMatchObject({ error: 'validation', field: 'subject_request_id' });
  });
});
