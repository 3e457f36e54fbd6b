import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness } from './testing/api-harness';

// The whole loop as a user sees it: write through the API, the projector (its own process)
// folds the log, and reads and later decisions see the result.

let api: ApiHarness;
let projector: ChildProcess;

function call(method: 'GET' | 'POST', url: string, payload?: object, headers: Record<string, string> = {}) {
  return api.call({ method, url, payload, headers });
}

/** Waits until the projection shows what `ready` asks for, and returns the body. */
async function readWhen<T>(url: string, ready: (body: T) => boolean): Promise<T> {
  return waitFor(
    async () => {
      const response = await call('GET', url);
      return response.statusCode === 200 && ready(response.json() as T) && (response.json() as T);
    },
    { description: `${url} to show the projected write`, timeoutMs: 60_000 },
  );
}

beforeAll(async () => {
  api = await ApiHarness.start('reads-e2e');
  projector = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, '../../projector/src/main.ts')], {
    cwd: resolve(__dirname, '../../..'),
    env: { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.reads') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
});

afterAll(async () => {
  projector?.kill('SIGTERM');
  if (projector) await new Promise((done) => projector.once('exit', done));
  await api?.close();
});

it('reads back a withdrawal with its policy version and time', async () => {
  const subject = uniqueName('subj');
  expect((await call('GET', `/v1/subjects/${subject}/consent`)).statusCode).toBe(404);
  await call('POST', `/v1/subjects/${subject}/consents/grant`, { purposes: ['marketing', 'analytics'], policyVersion: '2026-01' });
  const withdrawn = await call('POST', `/v1/subjects/${subject}/consents/withdraw`, { purposes: ['marketing'], occurredAt: '2026-03-01T10:00:00.000Z' });
  expect(withdrawn.statusCode).toBe(202);

  type Consent = { version: number; purposes: Record<string, { status: string; policyVersion: string | null; at: string }> };
  const body = await readWhen<Consent>(`/v1/subjects/${subject}/consent`, (b) => b.version === 2);
  expect(body.purposes.marketing).toEqual({ status: 'withdrawn', policyVersion: null, at: '2026-03-01T10:00:00.000Z' });
  expect(body.purposes.analytics).toMatchObject({ status: 'granted', policyVersion: '2026-01' });
});

it('refuses consent to a purpose the subject objected to, once the objection is projected', async () => {
  const subject = uniqueName('subj');
  expect((await call('POST', `/v1/subjects/${subject}/objections`, { purposes: ['profiling'], reason: 'direct_marketing' })).statusCode).toBe(202);
  await readWhen<{ objections: Record<string, unknown> }>(`/v1/subjects/${subject}/consent`, (b) => 'profiling' in b.objections);

  const grant = await call('POST', `/v1/subjects/${subject}/consents/grant`, { purposes: ['profiling'], policyVersion: '2026-01' });
  expect(grant.statusCode).toBe(409);
  expect(grant.json()).toMatchObject({ error: 'illegal_state', reason: 'objection_active', field: 'purposes[0]' });
});

it('shows an erasure request with its deadline and every system pending', async () => {
  const subject = uniqueName('subj');
  const requestId = uniqueName('dsr');
  const created = await call('POST', `/v1/subjects/${subject}/erasure-requests`, { requestId, scope: 'ALL', jurisdiction: 'GDPR', systems: ['shop-db', 'crm'] });
  expect(created.statusCode).toBe(202);

  type Request = { status: string; dueAt: string; requestedAt: string; systems: { system: string; status: string }[] };
  const request = await readWhen<Request>(`/v1/erasure-requests/${requestId}`, (b) => b.systems.length === 2);
  expect(request.status).toBe('open');
  expect(request.systems).toEqual([expect.objectContaining({ system: 'crm', status: 'pending' }), expect.objectContaining({ system: 'shop-db', status: 'pending' })]);
  const days = (Date.parse(request.dueAt) - Date.parse(request.requestedAt)) / 86_400_000;
  expect(days).toBeGreaterThanOrEqual(28); // GDPR: one calendar month
  expect(days).toBeLessThanOrEqual(31);

  // While it is open, a second request for the subject changes nothing.
  const again = await call('POST', `/v1/subjects/${subject}/erasure-requests`, { scope: 'ALL', systems: ['crm'] });
  expect(again.statusCode).toBe(200);
  expect(again.json()).toMatchObject({ status: 'unchanged' });
});

it('records a GPC signal once, then answers unchanged', async () => {
  const subject = uniqueName('subj');
  expect((await call('POST', `/v1/subjects/${subject}/gpc`, undefined, { 'sec-gpc': '1' })).statusCode).toBe(202);
  const body = await readWhen<{ optOuts: Record<string, { source: string }> }>(`/v1/subjects/${subject}/consent`, (b) => 'SALE' in b.optOuts);
  expect(body.optOuts.SALE.source).toBe('GPC');
  expect(body.optOuts.SHARING.source).toBe('GPC');
  const second = await call('POST', `/v1/subjects/${subject}/gpc`, undefined, { 'sec-gpc': '1' });
  expect(second.json()).toMatchObject({ status: 'unchanged', reason: 'already_opted_out' });
});
