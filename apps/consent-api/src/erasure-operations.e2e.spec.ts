import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { ConsentEventPayload, HEADERS } from '@lethe/contracts';
import { ACKS_ALL } from '@lethe/kafka';
import { consentEvent, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness, ERROR_KEYS, LogTail } from './testing/api-harness';

// Operating erasure requests as an operator does: see partial success, retry one failed system,
// extend a deadline once, and find what is overdue, through the API with the projector (its own
// process) folding consent.log into the harness' schema. Acknowledgements are appended the way
// the erasure worker appends them.

let api: ApiHarness;
let projector: ChildProcess;
let tail: LogTail;

// An hour, not the default 72: with the times moved below, it tells "past the SLA" apart from
// "past the deadline" and proves the setting is read.
const SLA_HOURS = 1;

beforeAll(async () => {
  // The listings below page through every request on the shared log, polling: far more calls a
  // minute than the default per-key rate limit allows.
  api = await ApiHarness.start('erasure-operations-e2e', { LETHE_ERASURE_SLA_HOURS: String(SLA_HOURS), LETHE_API_RATE_LIMIT: '10000000' });
  projector = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, '../../projector/src/main.ts')], {
    cwd: resolve(__dirname, '../../..'),
    env: { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.erasure-operations') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const consumer = testKafka('consent-api-erasure-operations').consumer({ groupId: uniqueName('test.erasure-operations-tail') });
  tail = api.logTail(consumer, waitFor);
  await tail.start();
});

afterAll(async () => {
  await tail?.stop();
  projector?.kill('SIGTERM');
  if (projector) await new Promise((done) => projector.once('exit', done));
  await api?.close();
});

type Step = { system: string; status: string; reason: string | null; retryable: boolean | null };
type Progress = { completed: number; pending: number; failed: number; total: number };
type ErasureRequest = {
  requestId: string;
  status: string;
  dueAt: string;
  extendableTo: string | null;
  extension: { reason: string; at: string } | null;
  overdue: string[];
  progress: Progress;
  systems: Step[];
};
type Listed = Omit<ErasureRequest, 'systems'> & { subjectId: string; jurisdiction: string };
type Page = { items: Listed[]; nextCursor: string | null };

const get = (url: string) => api.call({ method: 'GET', url });

/** Waits until the projection shows what `ready` asks for, and returns the request. */
function requestWhen(requestId: string, ready: (request: ErasureRequest) => boolean): Promise<ErasureRequest> {
  return waitFor(
    async () => {
      const response = await get(`/v1/erasure-requests/${requestId}`);
      const body = response.json() as ErasureRequest;
      return response.statusCode === 200 && ready(body) && body;
    },
    { description: `erasure request ${requestId} to be projected as expected`, timeoutMs: 60_000 },
  );
}

async function requestErasure(subject: string, requestId: string, jurisdiction: string, systems: string[]): Promise<ErasureRequest> {
  const created = await api.post(`/v1/subjects/${subject}/erasure-requests`, { requestId, scope: 'ALL', jurisdiction, systems });
  expect(created.statusCode).toBe(202);
  return requestWhen(requestId, (request) => request.systems.length === systems.length);
}

/** What an erasure worker does when its system is done or gave up: one event on consent.log. */
async function appendAck(subject: string, requestId: string, payload: ConsentEventPayload): Promise<void> {
  const event = consentEvent({ subject_id: subject, source: 'SYSTEM', actor: 'erasure-worker', purposes: [], correlation_id: requestId, payload });
  await api.runtime.producer.send({
    topic: api.topics.consentLog,
    acks: ACKS_ALL,
    messages: [{ key: subject, value: await api.runtime.codec.encode(event), headers: { [HEADERS.eventType]: payload.type } }],
  });
}

/** What a worker appends when its system deleted the subject's data. */
function stepCompleted(requestId: string, system: string, counts: Record<string, number>): ConsentEventPayload {
  return { type: 'ErasureStepCompleted', request_id: requestId, system, action: 'delete', counts, evidence_hash: 'c'.repeat(64), legal_hold: null, strategies: {} };
}

/** The value of one sample of a Prometheus text exposition, or undefined when absent. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('a request that partly succeeded', () => {
  const subject = uniqueName('subj');
  const requestId = uniqueName('dsr');

  beforeAll(async () => {
    await requestErasure(subject, requestId, 'GDPR', ['crm', 'cache']);
    await appendAck(subject, requestId, { type: 'ErasureStepFailed', request_id: requestId, system: 'crm', retryable: false, attempt: 3, reason: 'crm_rejected_delete' });
    await appendAck(subject, requestId, stepCompleted(requestId, 'cache', { keys: 2 }));
  });

  it('shows which system finished and which failed, with counts', async () => {
    const request = await requestWhen(requestId, (r) => r.progress.completed === 1 && r.progress.failed === 1);
    expect(request.status).toBe('open');
    expect(request.progress).toEqual({ completed: 1, pending: 0, failed: 1, total: 2 });
    expect(request.systems).toEqual([
      expect.objectContaining({ system: 'cache', status: 'completed' }),
      expect.objectContaining({ system: 'crm', status: 'failed', reason: 'crm_rejected_delete', retryable: false }),
    ]);
    expect(request.overdue).toEqual([]);
    expect(request.extension).toBeNull();
  });

  it('retries the failed system: the retry is on consent.log and the step is pending again', async () => {
    await requestWhen(requestId, (r) => r.progress.failed === 1);
    const retried = await api.post(`/v1/erasure-requests/${requestId}/systems/crm/retry`, undefined, { headers: { 'idempotency-key': `retry-${requestId}` } });
    expect(retried.statusCode).toBe(202);
    const body = retried.json() as { eventId: string; subjectId: string; type: string; requestId: string };
    expect(body).toMatchObject({ status: 'accepted', type: 'ErasureStepRetryRequested', subjectId: subject, requestId });

    const event = await tail.eventWithId(subject, body.eventId);
    expect(event.payload).toEqual({ type: 'ErasureStepRetryRequested', request_id: requestId, system: 'crm' });
    expect(event.jurisdiction).toBe('GDPR');

    const request = await requestWhen(requestId, (r) => r.progress.pending === 1);
    expect(request.progress).toEqual({ completed: 1, pending: 1, failed: 0, total: 2 });
    expect(request.systems.find((s) => s.system === 'crm')?.status).toBe('pending');

    // The same Idempotency-Key answers the first response and writes nothing more.
    const again = await api.post(`/v1/erasure-requests/${requestId}/systems/crm/retry`, undefined, { headers: { 'idempotency-key': `retry-${requestId}` } });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual(body);
    const retries = (await tail.settledEventsOf(subject)).filter((e) => e.payload.type === 'ErasureStepRetryRequested');
    expect(retries).toHaveLength(1);
  });

  it('refuses to retry a completed or pending step, or a system the request does not name', async () => {
    await requestWhen(requestId, (r) => r.progress.pending === 1);
    const completed = await api.post(`/v1/erasure-requests/${requestId}/systems/cache/retry`);
    expect(completed.statusCode).toBe(409);
    expect(completed.json()).toMatchObject({ statusCode: 409, error: 'illegal_state', reason: 'step_completed' });
    expect(Object.keys(completed.json()).every((key) => ERROR_KEYS.includes(key))).toBe(true);

    const pending = await api.post(`/v1/erasure-requests/${requestId}/systems/crm/retry`);
    expect(pending.json()).toMatchObject({ statusCode: 409, reason: 'step_pending' });

    const unknown = await api.post(`/v1/erasure-requests/${requestId}/systems/billing/retry`);
    expect(unknown.json()).toMatchObject({ statusCode: 404, error: 'not_found', reason: 'system_not_in_request' });
  });

  it('extends the deadline once, to extendableTo, showing the reason', async () => {
    const before = await requestWhen(requestId, () => true);
    expect(before.extendableTo).not.toBeNull();
    const extended = await api.post(`/v1/erasure-requests/${requestId}/deadline-extension`, { reason: 'complex_request.many_systems' });
    expect(extended.statusCode).toBe(202);
    expect(extended.json()).toMatchObject({ status: 'accepted', type: 'ErasureDeadlineExtended', requestId, dueAt: before.extendableTo });

    const after = await requestWhen(requestId, (r) => r.extension !== null);
    expect(after.dueAt).toBe(before.extendableTo);
    expect(after.extension).toEqual({ reason: 'complex_request.many_systems', at: expect.any(String) });

    const twice = await api.post(`/v1/erasure-requests/${requestId}/deadline-extension`, { reason: 'still_complex' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json()).toMatchObject({ error: 'illegal_state', reason: 'already_extended' });
  });
});

describe('refusals', () => {
  it('refuses to extend an LGPD request: that law allows no extension', async () => {
    const requestId = uniqueName('dsr');
    await requestErasure(uniqueName('subj'), requestId, 'LGPD', ['crm']);
    const response = await api.post(`/v1/erasure-requests/${requestId}/deadline-extension`, { reason: 'complex_request' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ error: 'illegal_state', reason: 'extension_not_allowed' });
  });

  it('answers 404 for a request nobody made, and 400 without a reason, never echoing it', async () => {
    const missing = await api.post(`/v1/erasure-requests/${uniqueName('dsr')}/deadline-extension`, { reason: 'complex_request' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'not_found', reason: 'request_not_found' });
    expect((await api.post(`/v1/erasure-requests/${uniqueName('dsr')}/systems/crm/retry`)).statusCode).toBe(404);

    const noReason = await api.post(`/v1/erasure-requests/${uniqueName('dsr')}/deadline-extension`, { reason: '' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json()).toMatchObject({ error: 'validation', field: 'reason' });
    const tooLong = await api.post(`/v1/erasure-requests/${uniqueName('dsr')}/deadline-extension`, { reason: `ada@example.com ${'x'.repeat(500)}` });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.body).not.toContain('ada@example.com');
  });

  it('needs erasure:write to operate and read to list', async () => {
    const reader = await api.createKey('erasure-operations-reader', ['read']);
    const refused = await api.call({ method: 'POST', url: `/v1/erasure-requests/${uniqueName('dsr')}/systems/crm/retry`, key: reader });
    expect(refused.statusCode).toBe(403);
    expect((await api.call({ method: 'GET', url: '/v1/erasure-requests?status=open', key: reader })).statusCode).toBe(200);
    expect((await api.call({ method: 'GET', url: '/v1/erasure-requests', key: null })).statusCode).toBe(401);
  });

  it('refuses an unknown status, a limit above 1000 and a forged cursor, naming the field', async () => {
    expect((await get('/v1/erasure-requests?status=late')).json()).toMatchObject({ statusCode: 400, field: 'status' });
    expect((await get('/v1/erasure-requests?limit=1001')).json()).toMatchObject({ statusCode: 400, field: 'limit' });
    expect((await get('/v1/erasure-requests?cursor=forged')).json()).toMatchObject({ statusCode: 400, field: 'cursor' });
  });
});

describe('overdue requests', () => {
  const pastDeadline = uniqueName('dsr-deadline');
  const pastSla = uniqueName('dsr-sla');
  const fresh = uniqueName('dsr-fresh');
  const done = uniqueName('dsr-done');

  /**
   * consent.log is shared, and the projector folds all of it into this schema, so the listing
   * also holds the requests of earlier runs. Waits until the projector has reached the end of the
   * log as it is now, so that what is overdue no longer changes while the tests read it (events
   * appended later by other runs are fresh, hence never overdue).
   */
  async function projectionCaughtUp(): Promise<void> {
    const ends = await api.runtime.admin.fetchTopicOffsets(api.topics.consentLog);
    await waitFor(
      async () => {
        const rows: { partition: number; next_offset: string }[] = await api.runtime.db.query(
          `select partition, next_offset from consumer_offsets where topic = $1`,
          [api.topics.consentLog],
        );
        const next = new Map(rows.map((row) => [row.partition, BigInt(row.next_offset)]));
        return ends.every(({ partition, high }) => BigInt(high) === 0n || (next.get(partition) ?? 0n) >= BigInt(high));
      },
      { description: `the projector to reach the end of ${api.topics.consentLog}`, timeoutMs: 120_000 },
    );
  }

  /** Every listed request, following nextCursor page by page. */
  async function listAll(status: string, limit: number): Promise<Listed[]> {
    const items: Listed[] = [];
    let cursor: string | null = null;
    do {
      const after: string = cursor === null ? '' : `&cursor=${cursor}`;
      const response = await get(`/v1/erasure-requests?status=${status}&limit=${limit}${after}`);
      expect(response.statusCode).toBe(200);
      const page = response.json() as Page;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      // A cursor that does not move on would page forever.
      if (page.nextCursor !== null) expect(page.nextCursor).not.toBe(cursor);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return items;
  }

  beforeAll(async () => {
    await requestErasure(uniqueName('subj'), pastDeadline, 'GDPR', ['crm']);
    await requestErasure(uniqueName('subj'), pastSla, 'CCPA', ['crm']);
    await requestErasure(uniqueName('subj'), fresh, 'GDPR', ['crm']);
    const doneSubject = uniqueName('subj');
    await requestErasure(doneSubject, done, 'GDPR', ['crm']);
    await appendAck(doneSubject, done, stepCompleted(done, 'crm', { rows: 1 }));
    await requestWhen(done, (r) => r.status === 'completed');
    // Deadlines and the SLA run from recorded_at, Lethe's own clock when it appended the request,
    // so no API call can make a request that is already late. Moving the projected times is the
    // only way to get one without waiting a month; no event of these requests follows to undo it.
    await api.runtime.db.query(`update erasure_requests set due_at = now() - interval '1 minute' where request_id = $1`, [pastDeadline]);
    await api.runtime.db.query(`update erasure_requests set requested_at = now() - interval '2 hours' where request_id = $1`, [pastSla]);
    await projectionCaughtUp();
  });

  it('lists open requests past their deadline or the SLA, saying which, earliest due first', async () => {
    const overdue = await listAll('overdue', 1000);
    const mine = overdue.filter((r) => [pastDeadline, pastSla, fresh, done].includes(r.requestId));
    expect(mine.map((r) => [r.requestId, r.overdue])).toEqual([
      [pastDeadline, ['deadline']],
      [pastSla, ['sla']],
    ]);
    expect(mine[1]).toMatchObject({ status: 'open', jurisdiction: 'CCPA', extension: null, progress: { completed: 0, pending: 1, failed: 0, total: 1 } });
    expect(mine[1].subjectId).toMatch(/^subj-/);
    expect(overdue.every((r) => r.status === 'open' && r.overdue.length > 0)).toBe(true);
    const dueTimes = overdue.map((r) => Date.parse(r.dueAt));
    expect(dueTimes).toEqual([...dueTimes].sort((a, b) => a - b));
    expect((await get(`/v1/erasure-requests/${pastSla}`)).json()).toMatchObject({ overdue: ['sla'] });
    expect((await get(`/v1/erasure-requests/${fresh}`)).json()).toMatchObject({ overdue: [] });
  });

  it('lists completed requests apart from open ones', async () => {
    const completed = await listAll('completed', 1000);
    expect(completed.find((r) => r.requestId === done)).toMatchObject({ status: 'completed', overdue: [], progress: { completed: 1, total: 1 } });
    expect(completed.every((r) => r.status === 'completed')).toBe(true);
    const open = await listAll('open', 1000);
    expect(open.map((r) => r.requestId)).toEqual(expect.arrayContaining([pastDeadline, pastSla, fresh]));
    expect(open.map((r) => r.requestId)).not.toContain(done);
  });

  it('pages by cursor without skipping or repeating a request', async () => {
    const inOnePage = await listAll('overdue', 1000);
    // At least two and about three pages, however many requests earlier runs left overdue.
    const pageByPage = await listAll('overdue', Math.max(1, Math.ceil(inOnePage.length / 3)));
    expect(pageByPage.length).toBeGreaterThanOrEqual(2);
    expect(pageByPage.map((r) => r.requestId)).toEqual(inOnePage.map((r) => r.requestId));
  });

  it('counts open and overdue requests on /metrics, by reason only, as the listing does', async () => {
    const metrics = await waitFor(
      async () => {
        const text = (await api.call({ method: 'GET', url: '/metrics', key: null })).body;
        const [open, overdue] = [await listAll('open', 1000), await listAll('overdue', 1000)];
        const matches =
          sample(text, 'lethe_erasure_requests_open') === open.length &&
          sample(text, 'lethe_erasure_requests_overdue{reason="deadline"}') === overdue.filter((r) => r.overdue.includes('deadline')).length &&
          sample(text, 'lethe_erasure_requests_overdue{reason="sla"}') === overdue.filter((r) => r.overdue.includes('sla')).length;
        return matches && text;
      },
      { description: '/metrics to count what the listing shows (other runs may append requests meanwhile)' },
    );
    expect(metrics).toContain('# TYPE lethe_erasure_requests_overdue gauge');
    expect(sample(metrics, 'lethe_erasure_requests_overdue{reason="deadline"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'lethe_erasure_requests_overdue{reason="sla"}')).toBeGreaterThanOrEqual(1);
    const series = metrics.split('\n').filter((line) => line.startsWith('lethe_erasure_requests'));
    expect(series.map((line) => line.slice(0, line.lastIndexOf(' ')))).toEqual([
      'lethe_erasure_requests_open',
      'lethe_erasure_requests_overdue{reason="deadline"}',
      'lethe_erasure_requests_overdue{reason="sla"}',
    ]);
  });
});

it('takes the event id the caller chose for an operation', async () => {
  const subject = uniqueName('subj');
  const requestId = uniqueName('dsr');
  await requestErasure(subject, requestId, 'UK_GDPR', ['crm']);
  const eventId = randomUUID();
  const response = await api.post(`/v1/erasure-requests/${requestId}/deadline-extension`, { reason: 'complex_request', eventId });
  expect(response.json()).toMatchObject({ eventId });
  expect((await tail.eventWithId(subject, eventId)).payload).toMatchObject({ type: 'ErasureDeadlineExtended', reason: 'complex_request' });
});
