import { randomUUID } from 'node:crypto';
import { shredKeys } from '@lethe/identity-vault';
import { testKafka, uniqueName, waitFor } from '@lethe/testing';
import type { LightMyRequestResponse } from 'fastify';
import { ApiKeyStore } from './auth/api-keys';
import { IdempotencyStore } from './idempotency/idempotency-store';
import { ApiHarness, ERROR_KEYS, LogTail } from './testing/api-harness';

// Who may write what (API keys, actions, purpose scopes, the recorded actor), and retries that
// must not write twice (Idempotency-Key, client event ids).

let api: ApiHarness;
let tail: LogTail;

beforeAll(async () => {
  api = await ApiHarness.start('auth-e2e');
  const consumer = testKafka('consent-api-auth').consumer({ groupId: uniqueName('test.api-auth') });
  tail = api.logTail(consumer, waitFor);
  await tail.start();
});

afterAll(async () => {
  await tail?.stop();
  await api?.close();
});

function expectRefused(response: LightMyRequestResponse, statusCode: number, error: string): void {
  expect(response.statusCode).toBe(statusCode);
  expect(response.json()).toMatchObject({ statusCode, error });
  expect(Object.keys(response.json()).filter((key) => !ERROR_KEYS.includes(key))).toEqual([]);
}

const WRITES: [string, object][] = [
  ['consents/grant', { purposes: ['marketing'], policyVersion: '2026-01' }],
  ['consents/withdraw', { purposes: ['marketing'] }],
  ['objections', { purposes: ['marketing'] }],
  ['opt-outs', { kinds: ['SALE'] }],
  ['erasure-requests', { scope: 'ALL', systems: ['crm'] }],
  ['gpc', {}],
];

describe('API keys', () => {
  const refused: string[] = [];

  it.each(WRITES)('POST %s without a key -> 401', async (endpoint, body) => {
    const subject = uniqueName('subj');
    refused.push(subject);
    const response = await api.post(`/v1/subjects/${subject}/${endpoint}`, body, { key: null, headers: { 'sec-gpc': '1' } });
    expectRefused(response, 401, 'unauthorized');
  });

  it.each([
    ['an unknown key', { authorization: 'Bearer lethe_000000000000_notakey' }],
    ['a known key under another scheme', { authorization: 'Basic {key}' }],
    ['an unknown X-Api-Key', { 'x-api-key': 'lethe_000000000000_notakey' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('refuses %s with 401', async (_name, headers: Record<string, string>) => {
    const subject = uniqueName('subj');
    refused.push(subject);
    const withKey = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.replace('{key}', api.defaultKey)]));
    const response = await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] }, { key: null, headers: withKey });
    expectRefused(response, 401, 'unauthorized');
  });

  it('refuses a revoked key with 401', async () => {
    const store = new ApiKeyStore(api.runtime.db);
    const { keyId, key } = await store.create('revoked-svc', { actions: ['optout:write'], purposes: ['*'] });
    expect(await store.revoke(keyId)).toBe(true);
    const subject = uniqueName('subj');
    refused.push(subject);
    expectRefused(await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] }, { key }), 401, 'unauthorized');
  });

  it('accepts the key in X-Api-Key too', async () => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] }, { key: null, headers: { 'x-api-key': api.defaultKey } });
    expect(response.statusCode).toBe(202);
  });

  it.each(WRITES)('POST %s with a key that may only read -> 403', async (endpoint, body) => {
    const key = await api.createKey('reader-svc', ['read']);
    const subject = uniqueName('subj');
    refused.push(subject);
    const response = await api.post(`/v1/subjects/${subject}/${endpoint}`, body, { key, headers: { 'sec-gpc': '1' } });
    expectRefused(response, 403, 'forbidden');
  });

  it('lets a key do only its own actions', async () => {
    const key = await api.createKey('consent-only-svc', ['consent:write']);
    const subject = uniqueName('subj');
    expectRefused(await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] }, { key }), 403, 'forbidden');
    expectRefused(await api.post(`/v1/subjects/${subject}/erasure-requests`, { scope: 'ALL', systems: ['crm'] }, { key }), 403, 'forbidden');
    expectRefused(await api.call({ method: 'GET', url: `/v1/subjects/${subject}/consent`, key }), 403, 'forbidden');
    const granted = await api.post(`/v1/subjects/${subject}/consents/grant`, { purposes: ['marketing'], policyVersion: 'v1' }, { key });
    expect(granted.statusCode).toBe(202);
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([granted.json().eventId]);
  });

  it('lets a key limited to some purposes write only those, and records its service as the actor', async () => {
    const key = await api.createKey('analytics-svc', ['consent:write', 'objection:write'], ['analytics']);
    const subject = uniqueName('subj');
    const forbidden = [
      await api.post(`/v1/subjects/${subject}/consents/grant`, { purposes: ['marketing'], policyVersion: 'v1' }, { key }),
      await api.post(`/v1/subjects/${subject}/consents/grant`, { purposes: ['analytics', 'marketing'], policyVersion: 'v1' }, { key }),
      await api.post(`/v1/subjects/${subject}/consents/withdraw`, { purposes: ['marketing'] }, { key }),
      await api.post(`/v1/subjects/${subject}/objections`, { purposes: ['marketing'] }, { key }),
    ];
    for (const response of forbidden) expectRefused(response, 403, 'forbidden');

    const granted = await api.post(`/v1/subjects/${subject}/consents/grant`, { purposes: ['analytics'], policyVersion: 'v1' }, { key });
    expect(granted.statusCode).toBe(202);
    const events = await tail.settledEventsOf(subject);
    expect(events.map((event) => [event.event_id, event.actor, event.purposes])).toEqual([[granted.json().eventId, 'analytics-svc', ['analytics']]]);
  });

  it('keeps a purpose-limited key from facts about every purpose', async () => {
    const key = await api.createKey('analytics-only', ['objection:write', 'erasure:write'], ['analytics']);
    const subject = uniqueName('subj');
    expectRefused(await api.post(`/v1/subjects/${subject}/objections`, {}, { key }), 403, 'forbidden');
    expectRefused(await api.post(`/v1/subjects/${subject}/erasure-requests`, { scope: 'ALL', systems: ['crm'] }, { key }), 403, 'forbidden');
    const scoped = await api.post(`/v1/subjects/${subject}/erasure-requests`, { scope: 'PURPOSES', purposes: ['analytics'], systems: ['crm'] }, { key });
    expect(scoped.statusCode).toBe(202);
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([scoped.json().eventId]);
  });

  it('writes nothing for any refused request', async () => {
    expect(refused.length).toBeGreaterThanOrEqual(2 * WRITES.length);
    for (const subject of refused) expect(await tail.settledEventsOf(subject)).toEqual([]);
  });
});

describe('GET reads', () => {
  it('needs a key, and the read action', async () => {
    const subject = uniqueName('subj');
    expectRefused(await api.call({ method: 'GET', url: `/v1/subjects/${subject}/consent`, key: null }), 401, 'unauthorized');
    expectRefused(await api.call({ method: 'GET', url: '/v1/erasure-requests/dsr-1', key: null }), 401, 'unauthorized');
    const writer = await api.createKey('writer-svc', ['consent:write', 'erasure:write']);
    expectRefused(await api.call({ method: 'GET', url: '/v1/erasure-requests/dsr-1', key: writer }), 403, 'forbidden');
  });

  it('answers 404 for a subject or erasure request it knows nothing of', async () => {
    const reader = await api.createKey('reader-svc', ['read']);
    expectRefused(await api.call({ method: 'GET', url: `/v1/subjects/${uniqueName('subj')}/consent`, key: reader }), 404, 'not_found');
    expectRefused(await api.call({ method: 'GET', url: `/v1/erasure-requests/${uniqueName('dsr')}`, key: reader }), 404, 'not_found');
  });

  it('refuses a subject id that is not opaque, without echoing it', async () => {
    const response = await api.call({ method: 'GET', url: '/v1/subjects/erin@example.com/consent' });
    expectRefused(response, 400, 'validation');
    expect(response.json().field).toBe('subjectId');
    expect(response.body).not.toContain('erin@example.com');
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeated request with the first response and writes one event', async () => {
    const subject = uniqueName('subj');
    const headers = { 'idempotency-key': uniqueName('idem') };
    const body = { purposes: ['marketing'], policyVersion: '2026-01', jurisdiction: 'GDPR' };
    const first = await api.post(`/v1/subjects/${subject}/consents/grant`, body, { headers });
    const second = await api.post(`/v1/subjects/${subject}/consents/grant`, { jurisdiction: 'GDPR', policyVersion: '2026-01', purposes: ['marketing'] }, { headers });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(first.statusCode);
    expect(second.json()).toEqual(first.json());
    const events = await tail.settledEventsOf(subject);
    expect(events.map((event) => event.event_id)).toEqual([first.json().eventId]);
  });

  it('makes a retried GPC signal with the same key write one event', async () => {
    const subject = uniqueName('subj');
    const headers = { 'idempotency-key': uniqueName('idem'), 'sec-gpc': '1' };
    const first = await api.post(`/v1/subjects/${subject}/gpc`, {}, { headers });
    const second = await api.post(`/v1/subjects/${subject}/gpc`, {}, { headers });
    expect(first.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([first.json().eventId]);
  });

  it('refuses the same key for a different request with 422, and writes nothing for it', async () => {
    const subject = uniqueName('subj');
    const headers = { 'idempotency-key': uniqueName('idem') };
    const first = await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] }, { headers });
    expect(first.statusCode).toBe(202);
    expectRefused(await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SHARING'] }, { headers }), 422, 'unprocessable');
    const other = uniqueName('subj');
    expectRefused(await api.post(`/v1/subjects/${other}/opt-outs`, { kinds: ['SALE'] }, { headers }), 422, 'unprocessable');
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([first.json().eventId]);
    expect(await tail.settledEventsOf(other)).toEqual([]);
  });

  it('keeps keys of different services apart', async () => {
    const subject = uniqueName('subj');
    const headers = { 'idempotency-key': uniqueName('idem') };
    const otherKey = await api.createKey('other-svc', ['optout:write']);
    const mine = await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] }, { headers });
    const theirs = await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] }, { headers, key: otherKey });
    expect([mine.statusCode, theirs.statusCode]).toEqual([202, 202]);
    expect(theirs.json().eventId).not.toBe(mine.json().eventId);
    const events = await tail.settledEventsOf(subject);
    expect(events.map((event) => event.actor).sort()).toEqual(['auth-e2e', 'other-svc']);
  });

  it('writes one event when the same key arrives twice at once', async () => {
    const subject = uniqueName('subj');
    const headers = { 'idempotency-key': uniqueName('idem') };
    const responses = await Promise.all([1, 2, 3].map(() => api.post(`/v1/subjects/${subject}/objections`, {}, { headers })));
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses).toContain(202);
    expect(statuses.every((status) => status === 202 || status === 409)).toBe(true);
    const accepted = responses.filter((response) => response.statusCode === 202).map((response) => response.json().eventId);
    expect(new Set(accepted).size).toBe(1);
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([accepted[0]]);
  });
});

describe('Idempotency-Key after a crash or a lost answer', () => {
  it('lets a retry take over a key whose first request died between claim and completion, once its lease ran out', async () => {
    const subject = uniqueName('subj');
    const key = uniqueName('idem');
    const body = { kinds: ['SALE'] };
    const claim = (age: string) =>
      api.runtime.db.query(
        `insert into idempotency_keys (actor, key, request_hash, status_code, response, created_at) values ($1, $2, $3, 0, 'null', now() - $4::interval)
         on conflict (actor, key) do update set created_at = excluded.created_at`,
        ['auth-e2e', key, api.app.get(IdempotencyStore).fingerprint('opt-out', subject, body), age],
      );
    await claim('10 seconds');
    const inProgress = await api.post(`/v1/subjects/${subject}/opt-outs`, body, { headers: { 'idempotency-key': key } });
    expectRefused(inProgress, 409, 'conflict');
    // It says when the claim's lease (30 s here) ends at the latest.
    expect(inProgress.json().reason).toBe('idempotency_key_in_progress');
    expect(Number(inProgress.headers['retry-after'])).toBeGreaterThanOrEqual(19);
    expect(Number(inProgress.headers['retry-after'])).toBeLessThanOrEqual(20);
    await claim('1 hour');
    const retried = await api.post(`/v1/subjects/${subject}/opt-outs`, body, { headers: { 'idempotency-key': key } });
    expect(retried.statusCode).toBe(202);
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([retried.json().eventId]);
  });

  it('names an erasure sent without requestId after its key, so a retry after a lost answer is the same request', async () => {
    const subject = uniqueName('subj');
    const headers = { 'idempotency-key': uniqueName('idem') };
    const body = { scope: 'ALL', systems: ['crm'] };
    const first = await api.post(`/v1/subjects/${subject}/erasure-requests`, body, { headers });
    expect(first.statusCode).toBe(202);
    expect(first.json().requestId).toBe(`er-${first.json().eventId}`);
    // The answer was lost and the key released, as after a 503: the retry decides again.
    await api.runtime.db.query(`delete from idempotency_keys where actor = 'auth-e2e' and key = $1`, [headers['idempotency-key']]);
    const retried = await api.post(`/v1/subjects/${subject}/erasure-requests`, body, { headers });
    expect([200, 202]).toContain(retried.statusCode);
    expect(retried.json().requestId ?? first.json().requestId).toBe(first.json().requestId);
    const requested = (await tail.settledEventsOf(subject)).filter((event) => event.payload.type === 'ErasureRequested');
    expect(new Set(requested.map((event) => (event.payload as { request_id: string }).request_id))).toEqual(new Set([first.json().requestId]));
  });
});

describe('Idempotency-Key with identities', () => {
  it('stores a fingerprint that no one can check a guessed e-mail address against once the subject is shredded', async () => {
    const subject = uniqueName('subj');
    const key = uniqueName('idem');
    const body = { kinds: ['SALE'], identities: [{ type: 'email', value: 'ada.guess@example.com' }] };
    const first = await api.post(`/v1/subjects/${subject}/opt-outs`, body, { headers: { 'idempotency-key': key } });
    expect(first.statusCode).toBe(202);
    // A retry of the same request is still recognised; the same key with another address is not.
    expect((await api.post(`/v1/subjects/${subject}/opt-outs`, body, { headers: { 'idempotency-key': key } })).json().eventId).toBe(first.json().eventId);
    const other = { ...body, identities: [{ type: 'email', value: 'someone.else@example.com' }] };
    expectRefused(await api.post(`/v1/subjects/${subject}/opt-outs`, other, { headers: { 'idempotency-key': key } }), 422, 'unprocessable');

    // Whoever holds the master key and guesses the whole body cannot confirm it from the stored row.
    const [row] = await api.runtime.db.query(`select request_hash from idempotency_keys where actor = 'auth-e2e' and key = $1`, [key]);
    const guessed = api.app.get(IdempotencyStore).fingerprint('opt-out', subject, body);
    expect(row.request_hash).not.toBe(guessed);

    // Once shredded, even the same request cannot be fingerprinted again: refused, nothing written.
    await shredKeys(api.runtime.db, [subject]);
    const afterShred = await api.post(`/v1/subjects/${subject}/opt-outs`, body, { headers: { 'idempotency-key': key } });
    expectRefused(afterShred, 409, 'illegal_state');
    expect(afterShred.json().reason).toBe('subject_key_shredded');
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([first.json().eventId]);
  });
});

describe('client-supplied eventId', () => {
  it('writes the event under that id once, however often it is sent', async () => {
    const subject = uniqueName('subj');
    const eventId = randomUUID();
    const body = { eventId, purposes: ['analytics'] };
    const first = await api.post(`/v1/subjects/${subject}/consents/withdraw`, body);
    const second = await api.post(`/v1/subjects/${subject}/consents/withdraw`, body);
    expect(first.statusCode).toBe(202);
    expect(first.json().eventId).toBe(eventId);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([eventId]);
  });

  it('keeps an event id unique across the log: another service, or another subject, cannot reuse it', async () => {
    const subject = uniqueName('subj');
    const other = uniqueName('subj');
    const eventId = randomUUID();
    const otherKey = await api.createKey('other-svc', ['consent:write']);
    expect((await api.post(`/v1/subjects/${subject}/consents/withdraw`, { eventId, purposes: ['analytics'] })).statusCode).toBe(202);
    expectRefused(await api.post(`/v1/subjects/${other}/consents/withdraw`, { eventId, purposes: ['analytics'] }, { key: otherKey }), 422, 'unprocessable');
    expectRefused(await api.post(`/v1/subjects/${other}/consents/withdraw`, { eventId, purposes: ['analytics'] }), 422, 'unprocessable');
    expect(await tail.settledEventsOf(other)).toEqual([]);
  });

  it('refuses the same eventId for a different request with 422', async () => {
    const subject = uniqueName('subj');
    const eventId = randomUUID();
    expect((await api.post(`/v1/subjects/${subject}/consents/withdraw`, { eventId, purposes: ['analytics'] })).statusCode).toBe(202);
    expectRefused(await api.post(`/v1/subjects/${subject}/consents/withdraw`, { eventId, purposes: ['marketing'] }), 422, 'unprocessable');
    expect((await tail.settledEventsOf(subject)).map((event) => event.purposes)).toEqual([['analytics']]);
  });
});
