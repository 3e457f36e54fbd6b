import { ConsentEvent, ConsentEventPayloadType } from '@lethe/contracts';
import { decryptIdentities } from '@lethe/identity-vault';
import { testKafka, uniqueName, waitFor } from '@lethe/testing';
import type { LightMyRequestResponse } from 'fastify';
import { ApiHarness, ERROR_KEYS, LogTail } from './testing/api-harness';

// Every write endpoint, happy path: 202 with an event id, and exactly that event on consent.log
// with the API key's service as its actor.

const SERVICE = 'writes-e2e';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
let api: ApiHarness;
let tail: LogTail;

beforeAll(async () => {
  api = await ApiHarness.start(SERVICE);
  const consumer = testKafka('consent-api-writes').consumer({ groupId: uniqueName('test.api-writes') });
  tail = api.logTail(consumer, waitFor);
  await tail.start();
});

afterAll(async () => {
  await tail?.stop();
  await api?.close();
});

/** Checks the 202 answer and returns the one event of the subject on the log, which has its id. */
async function accepted(response: LightMyRequestResponse, subjectId: string, type: ConsentEventPayloadType): Promise<ConsentEvent> {
  expect(response.statusCode).toBe(202);
  const body = response.json();
  expect(body).toMatchObject({ status: 'accepted', subjectId, type, eventId: expect.stringMatching(UUID) });
  expect(Number.isNaN(Date.parse(body.recordedAt))).toBe(false);
  const event = await tail.eventWithId(subjectId, body.eventId);
  expect(event).toMatchObject({ subject_id: subjectId, actor: SERVICE, payload: { type } });
  expect(event.recorded_at).toBe(Date.parse(body.recordedAt));
  expect((await tail.settledEventsOf(subjectId)).map((e) => e.event_id)).toEqual([body.eventId]);
  return event;
}

describe('POST /v1/subjects/:subjectId/consents/grant', () => {
  it('records consent with its policy version, jurisdiction, time and correlation id', async () => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/consents/grant`, {
      purposes: ['marketing', 'analytics'],
      policyVersion: '2026-01',
      jurisdiction: 'GDPR',
      occurredAt: '2026-02-01T09:30:00.000Z',
      correlationId: 'signup-42',
    });
    const event = await accepted(response, subject, 'ConsentGranted');
    expect(event).toMatchObject({
      purposes: ['marketing', 'analytics'],
      policy_version: '2026-01',
      jurisdiction: 'GDPR',
      occurred_at: Date.parse('2026-02-01T09:30:00.000Z'),
      correlation_id: 'signup-42',
      source: 'API',
      identities: null,
    });
  });

  it('defaults the jurisdiction and time, and keeps the source the client names', async () => {
    const subject = uniqueName('subj');
    const before = Date.now();
    const response = await api.post(`/v1/subjects/${subject}/consents/grant`, { purposes: ['analytics'], policyVersion: 'v2', source: 'MOBILE' });
    const event = await accepted(response, subject, 'ConsentGranted');
    expect(event).toMatchObject({ source: 'MOBILE', jurisdiction: 'UNSPECIFIED', correlation_id: null });
    expect(event.occurred_at).toBe(event.recorded_at);
    expect(event.recorded_at).toBeGreaterThanOrEqual(before);
  });
});

describe('POST /v1/subjects/:subjectId/consents/withdraw', () => {
  it('records the withdrawal of the named purposes', async () => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/consents/withdraw`, { purposes: ['marketing'], jurisdiction: 'UK_GDPR' });
    const event = await accepted(response, subject, 'ConsentWithdrawn');
    expect(event).toMatchObject({ purposes: ['marketing'], jurisdiction: 'UK_GDPR', policy_version: null });
  });
});

describe('POST /v1/subjects/:subjectId/objections', () => {
  it('records an objection to purposes with its reason code', async () => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/objections`, { purposes: ['marketing'], reason: 'direct_marketing' });
    const event = await accepted(response, subject, 'ObjectionRaised');
    expect(event).toMatchObject({ purposes: ['marketing'], payload: { type: 'ObjectionRaised', reason: 'direct_marketing' } });
  });

  it('records an objection to all processing when no purposes are named', async () => {
    const subject = uniqueName('subj');
    const event = await accepted(await api.post(`/v1/subjects/${subject}/objections`, {}), subject, 'ObjectionRaised');
    expect(event).toMatchObject({ purposes: [], payload: { type: 'ObjectionRaised', reason: null } });
  });
});

describe('POST /v1/subjects/:subjectId/opt-outs', () => {
  it('records the opt-out kinds', async () => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE', 'TARGETED_ADVERTISING'], jurisdiction: 'CCPA', source: 'WEB' });
    const event = await accepted(response, subject, 'OptOutRecorded');
    expect(event).toMatchObject({ source: 'WEB', jurisdiction: 'CCPA', payload: { type: 'OptOutRecorded', kinds: ['SALE', 'TARGETED_ADVERTISING'] } });
  });
});

describe('POST /v1/subjects/:subjectId/erasure-requests', () => {
  it('records an erasure of everything with the identities encrypted under the subject key', async () => {
    const subject = uniqueName('subj');
    const email = `${uniqueName('alice')}@example.com`;
    const requestId = uniqueName('dsr');
    const identities = [
      { type: 'email', value: email },
      { type: 'customer_id', value: 'C-1001' },
    ];
    const response = await api.post(`/v1/subjects/${subject}/erasure-requests`, {
      requestId,
      scope: 'ALL',
      keepTransactionHistory: true,
      systems: ['shop-db', 'crm'],
      identities,
    });
    expect(response.json().requestId).toBe(requestId);
    const event = await accepted(response, subject, 'ErasureRequested');
    expect(event.payload).toEqual({ type: 'ErasureRequested', request_id: requestId, scope: 'ALL', keep_transaction_history: true, systems: ['shop-db', 'crm'], all_systems: false });
    expect(event.purposes).toEqual([]);

    expect(event.identities).not.toBeNull();
    const encrypted = event.identities as NonNullable<ConsentEvent['identities']>;
    expect(encrypted.algorithm).toBe('AES_256_GCM');
    expect(encrypted.ciphertext.toString('latin1')).not.toContain(email);
    expect(encrypted.ciphertext.toString('latin1')).not.toContain('C-1001');
    // Only the subject's key opens it, and it holds exactly what was sent.
    const key = await api.runtime.keyStore.keyById(encrypted.key_id);
    expect(key).not.toBeNull();
    expect(decryptIdentities(encrypted, subject, key as Buffer)).toEqual(identities);
    expect(() => decryptIdentities(encrypted, uniqueName('other'), key as Buffer)).toThrow();
  });

  it('records an erasure of some purposes and makes up a request id when none is given', async () => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/erasure-requests`, { scope: 'PURPOSES', purposes: ['marketing'], systems: ['crm'] });
    expect(response.json().requestId).toMatch(/^er-/);
    const event = await accepted(response, subject, 'ErasureRequested');
    expect(event.payload).toEqual({
      type: 'ErasureRequested',
      request_id: response.json().requestId,
      scope: 'PURPOSES',
      keep_transaction_history: false,
      systems: ['crm'],
    });
    expect(event).toMatchObject({ purposes: ['marketing'], identities: null });
  });

  // Nothing would acknowledge it, so it would be complete, and certified, the moment it is projected.
  it.each([
    ['names an empty list of systems', { scope: 'ALL', systems: [] }],
    ['names none while the API declares none (no systems file)', { scope: 'ALL' }],
  ])('refuses an erasure that %s with 400 no_systems, and writes nothing', async (_case, body) => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/erasure-requests`, body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'validation', reason: 'no_systems', field: 'systems' });
    expect(response.json().message).toContain('systems');
    expect(Object.keys(response.json()).every((key) => ERROR_KEYS.includes(key))).toBe(true);
    expect(await tail.settledEventsOf(subject)).toEqual([]);
  });

  it('refuses identities for a subject whose key was shredded, and writes nothing', async () => {
    const subject = uniqueName('subj');
    await api.runtime.keyStore.shred(subject);
    const response = await api.post(`/v1/subjects/${subject}/erasure-requests`, {
      scope: 'ALL',
      systems: ['crm'],
      identities: [{ type: 'email', value: 'shredded@example.com' }],
    });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ statusCode: 409, error: 'illegal_state', reason: 'subject_key_shredded' });
    expect(Object.keys(response.json()).every((key) => ERROR_KEYS.includes(key))).toBe(true);
    expect(response.body).not.toContain('shredded@example.com');
    expect(await tail.settledEventsOf(subject)).toEqual([]);
  });
});

describe('POST /v1/subjects/:subjectId/gpc', () => {
  it('records an opt-out of sale and sharing from GPC when the request carries Sec-GPC: 1', async () => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/gpc`, { jurisdiction: 'CCPA' }, { headers: { 'sec-gpc': '1' } });
    const event = await accepted(response, subject, 'OptOutRecorded');
    expect(event).toMatchObject({ source: 'GPC', jurisdiction: 'CCPA', payload: { type: 'OptOutRecorded', kinds: ['SALE', 'SHARING'] } });
  });

  it('accepts a signal with no body at all', async () => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/gpc`, undefined, { headers: { 'sec-gpc': '1' } });
    const event = await accepted(response, subject, 'OptOutRecorded');
    expect(event).toMatchObject({ source: 'GPC', jurisdiction: 'UNSPECIFIED' });
  });

  it.each([
    ['no Sec-GPC header', {}],
    ['Sec-GPC: 0', { 'sec-gpc': '0' }],
  ])('records nothing with %s', async (_name, headers: Record<string, string>) => {
    const subject = uniqueName('subj');
    const response = await api.post(`/v1/subjects/${subject}/gpc`, {}, { headers });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'no_signal', subjectId: subject });
    expect(await tail.settledEventsOf(subject)).toEqual([]);
  });
});
