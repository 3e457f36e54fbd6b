import { testKafka, uniqueName, waitFor } from '@lethe/testing';
import type { LightMyRequestResponse } from 'fastify';
import { ApiHarness, ERROR_KEYS, LogTail, STACK_LINE } from './testing/api-harness';

// Bad input on every write endpoint: a 400 (or 413/415) naming the field, in the documented
// error shape, with no stack trace and nothing the caller sent echoed back; nothing on the log.

let api: ApiHarness;
let tail: LogTail;
const refusedSubjects: string[] = [];

beforeAll(async () => {
  api = await ApiHarness.start('validation-e2e');
  const consumer = testKafka('consent-api-validation').consumer({ groupId: uniqueName('test.api-validation') });
  tail = api.logTail(consumer, waitFor);
  await tail.start();
});

afterAll(async () => {
  await tail?.stop();
  await api?.close();
});

/** The documented error shape: only known keys, no stack trace. */
function expectErrorBody(response: LightMyRequestResponse, statusCode: number): Record<string, unknown> {
  expect(response.statusCode).toBe(statusCode);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json();
  expect(body.statusCode).toBe(statusCode);
  expect(typeof body.error).toBe('string');
  expect(typeof body.message).toBe('string');
  expect(Object.keys(body).filter((key) => !ERROR_KEYS.includes(key))).toEqual([]);
  expect(response.body).not.toMatch(STACK_LINE);
  expect(response.body).not.toMatch(/node_modules|\.ts:\d+|\.js:\d+/);
  return body;
}

const GRANT = { purposes: ['marketing'], policyVersion: '2026-01' };

// [endpoint, body, field the error must name]
const badBodies: [string, object, string][] = [
  ['consents/grant', { ...GRANT, colour: 'red' }, 'colour'],
  ['consents/grant', { purposes: ['marketing'] }, 'policyVersion'],
  ['consents/grant', { policyVersion: '2026-01' }, 'purposes'],
  ['consents/grant', { ...GRANT, policyVersion: 202601 }, 'policyVersion'],
  ['consents/grant', { ...GRANT, policyVersion: 'has spaces' }, 'policyVersion'],
  ['consents/grant', { ...GRANT, purposes: 'marketing' }, 'purposes'],
  ['consents/grant', { ...GRANT, purposes: [42] }, 'purposes'],
  ['consents/grant', { ...GRANT, purposes: ['Marketing!'] }, 'purposes'],
  ['consents/grant', { ...GRANT, purposes: [] }, 'purposes'],
  ['consents/grant', { ...GRANT, purposes: ['marketing', 'marketing'] }, 'purposes'],
  ['consents/grant', { ...GRANT, eventId: 'not-a-uuid' }, 'eventId'],
  ['consents/grant', { ...GRANT, occurredAt: 'yesterday' }, 'occurredAt'],
  ['consents/grant', { ...GRANT, source: 'GPC' }, 'source'],
  ['consents/grant', { ...GRANT, jurisdiction: 'MARS' }, 'jurisdiction'],
  ['consents/grant', { ...GRANT, correlationId: 'c'.repeat(129) }, 'correlationId'],
  ['consents/withdraw', { purposes: [] }, 'purposes'],
  ['consents/withdraw', { purposes: ['marketing'], policyVersion: '2026-01' }, 'policyVersion'],
  ['objections', { purposes: 'marketing' }, 'purposes'],
  ['objections', { reason: 'I just do not like it' }, 'reason'],
  ['opt-outs', {}, 'kinds'],
  ['opt-outs', { kinds: [] }, 'kinds'],
  ['opt-outs', { kinds: ['EVERYTHING'] }, 'kinds'],
  ['erasure-requests', {}, 'scope'],
  ['erasure-requests', { scope: 'SOME' }, 'scope'],
  ['erasure-requests', { scope: 'ALL', keepTransactionHistory: 'yes' }, 'keepTransactionHistory'],
  ['erasure-requests', { scope: 'ALL', requestId: 'has spaces' }, 'requestId'],
  ['erasure-requests', { scope: 'ALL', systems: ['Shop DB'] }, 'systems'],
  ['erasure-requests', { scope: 'ALL', identities: [{ type: 'ssn', value: '123' }] }, 'identities[0].type'],
  ['erasure-requests', { scope: 'ALL', identities: [{ type: 'email', value: 7 }] }, 'identities[0].value'],
  ['consents/withdraw', { purposes: ['marketing'], identities: [{ type: 'ssn', value: '123' }] }, 'identities[0].type'],
  ['objections', { identities: 'ada@example.com' }, 'identities'],
  ['opt-outs', { kinds: ['SALE'], identities: [{ type: 'email', value: 'x'.repeat(321) }] }, 'identities[0].value'],
  ['consents/grant', { ...GRANT, identities: [{ type: 'email', value: 'ada@example.com' }] }, 'identities'],
  ['erasure-requests', { scope: 'ALL', identities: [{ type: 'email', value: 'a@example.com', extra: 1 }] }, 'identities[0].extra'],
  ['erasure-requests', { scope: 'PURPOSES', systems: ['crm'] }, 'purposes'],
  ['erasure-requests', { scope: 'ALL', purposes: ['marketing'], systems: ['crm'] }, 'purposes'],
  ['erasure-requests', { scope: 'ALL', systems: [] }, 'systems'],
  ['gpc', { colour: 'red' }, 'colour'],
];

describe('bodies that do not fit the endpoint', () => {
  it.each(badBodies)('POST %s %j -> 400 naming %s', async (endpoint, body, field) => {
    const subject = uniqueName('subj');
    refusedSubjects.push(subject);
    const response = await api.post(`/v1/subjects/${subject}/${endpoint}`, body, { headers: { 'sec-gpc': '1' } });
    const error = expectErrorBody(response, 400);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it('says which field is unknown without echoing its value', async () => {
    const response = await api.post(`/v1/subjects/${uniqueName('subj')}/consents/grant`, { ...GRANT, email: 'bob@example.com' });
    expect(expectErrorBody(response, 400)).toMatchObject({ error: 'validation', field: 'email', message: 'email is not a known field' });
    expect(response.body).not.toContain('bob@example.com');
  });
});

describe('subject ids that are not opaque ids', () => {
  const endpoints = ['consents/grant', 'consents/withdraw', 'objections', 'opt-outs', 'erasure-requests', 'gpc'];
  const bodies: Record<string, object> = {
    'consents/grant': GRANT,
    'consents/withdraw': { purposes: ['marketing'] },
    objections: {},
    'opt-outs': { kinds: ['SALE'] },
    'erasure-requests': { scope: 'ALL' },
    gpc: {},
  };

  it.each(endpoints)('POST %s with an e-mail as subject id -> 400 naming subjectId, without echoing it', async (endpoint) => {
    const subject = `${uniqueName('carol')}@example.com`;
    refusedSubjects.push(subject);
    const response = await api.post(`/v1/subjects/${encodeURIComponent(subject)}/${endpoint}`, bodies[endpoint], { headers: { 'sec-gpc': '1' } });
    expect(expectErrorBody(response, 400)).toMatchObject({ error: 'validation', field: 'subjectId' });
    expect(response.body).not.toContain(subject);
  });

  it.each([
    ['with a space', 'john%20smith'],
    ['with a plus', '%2B4915112345678'],
    ['with a slash', 'a%2Fb'],
    ['shaped like a phone number', '0049-170-1234567'],
    ['shaped like a phone number with dots', '020.7946.0958'],
    ['shaped like a name', 'Ada.Lovelace'],
    ['with a NUL', 'subj%00-1'],
  ])('refuses a subject id %s', async (_name, subject) => {
    const response = await api.post(`/v1/subjects/${subject}/consents/grant`, GRANT);
    expect(expectErrorBody(response, 400).field).toBe('subjectId');
  });

  it('accepts a subject id of 100 characters', async () => {
    const subject = `${uniqueName('s')}-${'x'.repeat(100)}`.slice(0, 100);
    expect((await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] })).statusCode).toBe(202);
  });

  it('accepts the longest opaque id (128 characters)', async () => {
    const subject = `${uniqueName('s')}-${'x'.repeat(128)}`.slice(0, 128);
    expect((await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] })).statusCode).toBe(202);
  });

  it('refuses a subject id of 129 characters with 400 naming subjectId, without echoing it', async () => {
    const subject = `${uniqueName('s')}-${'x'.repeat(129)}`.slice(0, 129);
    const response = await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] });
    expect(expectErrorBody(response, 400).field).toBe('subjectId');
    expect(response.body).not.toContain(subject);
  });

  it('answers a path far over any id length in the error shape, without echoing it', async () => {
    const subject = 'x'.repeat(300);
    const response = await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds: ['SALE'] });
    expect(expectErrorBody(response, 400).error).toBe('validation');
    expect(response.body).not.toContain(subject);
  });

  it('answers a path with a broken percent-escape in the error shape, without echoing it', async () => {
    const response = await api.post('/v1/subjects/dave%E0%A4%A@example.com/opt-outs', { kinds: ['SALE'] });
    expectErrorBody(response, 400);
    expect(response.body).not.toContain('example.com');
  });
});

describe('text that is not a code, or holds control characters', () => {
  // C0 (with NUL), DEL, C1, and halves of a surrogate pair without the other half.
  const BAD_CHARACTERS: [string, string][] = [
    ['NUL', '\u0000'],
    ['ESC', '\u001b'],
    ['a new line', '\n'],
    ['DEL', '\u007f'],
    ['C1 NEL', '\u0085'],
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', '\udc00'],
  ];
  // [what, URL below /v1, body with the text in one field, field the error must name]
  const FIELDS: [string, string, (text: string) => object, string][] = [
    ['grant policyVersion', 'subjects/{subject}/consents/grant', (t) => ({ ...GRANT, policyVersion: t }), 'policyVersion'],
    ['grant purposes', 'subjects/{subject}/consents/grant', (t) => ({ ...GRANT, purposes: [t] }), 'purposes'],
    ['correlationId', 'subjects/{subject}/consents/grant', (t) => ({ ...GRANT, correlationId: t }), 'correlationId'],
    ['eventId', 'subjects/{subject}/opt-outs', (t) => ({ kinds: ['SALE'], eventId: t }), 'eventId'],
    ['objection reason', 'subjects/{subject}/objections', (t) => ({ reason: t }), 'reason'],
    ['erasure requestId', 'subjects/{subject}/erasure-requests', (t) => ({ scope: 'ALL', systems: ['crm'], requestId: t }), 'requestId'],
    ['erasure systems', 'subjects/{subject}/erasure-requests', (t) => ({ scope: 'ALL', systems: [t] }), 'systems'],
    ['identities value', 'subjects/{subject}/erasure-requests', (t) => ({ scope: 'ALL', systems: ['crm'], identities: [{ type: 'email', value: t }] }), 'identities[0].value'],
    ['deadline-extension reason', 'erasure-requests/{request}/deadline-extension', (t) => ({ reason: t }), 'reason'],
  ];
  const cases = FIELDS.flatMap(([what, url, body, field]) => BAD_CHARACTERS.map(([name, character]) => [what, name, url, body, field, character] as const));

  it.each(cases)('refuses %s with %s: 400 naming the field, without echoing it', async (_what, _name, url, body, field, character) => {
    const subject = uniqueName('subj');
    refusedSubjects.push(subject);
    const secret = uniqueName('secret');
    const path = url.replace('{subject}', subject).replace('{request}', uniqueName('dsr'));
    const response = await api.post(`/v1/${path}`, body(`${secret}${character}x`));
    const error = expectErrorBody(response, 400);
    expect(error).toMatchObject({ error: 'validation', field });
    expect(response.body).not.toContain(secret);
  });

  it.each([
    ['correlationId', 'subjects/{subject}/consents/grant', { ...GRANT, correlationId: 'call with ada@example.com' }],
    ['reason', 'erasure-requests/{request}/deadline-extension', { reason: 'Ada Lovelace asked for more time' }],
  ])('refuses prose in %s (it would stay on the immutable log): codes only', async (field, url, body) => {
    const subject = uniqueName('subj');
    refusedSubjects.push(subject);
    const response = await api.post(`/v1/${url.replace('{subject}', subject).replace('{request}', uniqueName('dsr'))}`, body);
    expect(expectErrorBody(response, 400)).toMatchObject({ error: 'validation', field });
    expect(response.body).not.toMatch(/ada@example\.com|Lovelace/);
  });

  it.each([
    ['GET', '/v1/erasure-requests/dsr%00secret', 'requestId'],
    ['GET', '/v1/erasure-requests/dsr%C2%85secret/certificate', 'requestId'],
    ['POST', '/v1/erasure-requests/dsr%1Bsecret/deadline-extension', 'requestId'],
    ['POST', '/v1/erasure-requests/dsr-1/systems/crm%7Fsecret/retry', 'system'],
    ['GET', '/v1/erasure-requests?cursor=secret%00', 'cursor'],
  ] as const)('refuses %s %s with a control character: 400 naming %s, without echoing it', async (method, url, field) => {
    const response = await api.call({ method, url, payload: method === 'POST' ? { reason: 'complex_request' } : undefined });
    expect(expectErrorBody(response, 400)).toMatchObject({ error: 'validation', field });
    expect(response.body).not.toContain('secret');
  });

  it('accepts a correlationId in the code shape', async () => {
    const response = await api.post(`/v1/subjects/${uniqueName('subj')}/consents/grant`, { ...GRANT, correlationId: 'order-service:checkout.42_b' });
    expect(response.statusCode).toBe(202);
  });
});

describe('bodies that are not JSON objects of a sane size', () => {
  it('answers malformed JSON with 400 and a fixed message that quotes nothing of the body', async () => {
    const subject = uniqueName('subj');
    refusedSubjects.push(subject);
    const response = await api.post(`/v1/subjects/${subject}/consents/grant`, '{"purposes": ["marketing"], "policyVersion": ada.lovelace@example.com}');
    expect(expectErrorBody(response, 400)).toEqual({ statusCode: 400, error: 'bad_request', message: 'the request body is not valid JSON' });
    expect(response.body).not.toMatch(/ada|lovelace|example/);
  });

  it('answers a body over 64 KiB with 413', async () => {
    const subject = uniqueName('subj');
    refusedSubjects.push(subject);
    const response = await api.post(`/v1/subjects/${subject}/consents/grant`, { ...GRANT, correlationId: 'x'.repeat(65 * 1024) });
    expect(expectErrorBody(response, 413).error).toBe('payload_too_large');
  });

  it('accepts a body just under the limit as far as the size goes (then validates it)', async () => {
    const response = await api.post(`/v1/subjects/${uniqueName('subj')}/consents/grant`, { ...GRANT, correlationId: 'x'.repeat(60 * 1024) });
    expect(expectErrorBody(response, 400).field).toBe('correlationId');
  });

  it('answers a body of a media type it does not read with 415', async () => {
    const response = await api.call({
      method: 'POST',
      url: `/v1/subjects/${uniqueName('subj')}/consents/grant`,
      payload: '<grant purposes="marketing"/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(expectErrorBody(response, 415).error).toBe('unsupported_media_type');
  });

  it.each([
    ['a JSON array', '[]'],
    ['a JSON string', '"marketing"'],
    ['JSON null', 'null'],
    ['no body', undefined],
  ])('answers %s with 400', async (_name, payload: string | undefined) => {
    const subject = uniqueName('subj');
    refusedSubjects.push(subject);
    const response = await api.post(`/v1/subjects/${subject}/consents/grant`, payload);
    expectErrorBody(response, 400);
  });

  it('refuses an Idempotency-Key longer than 255 characters, naming the header', async () => {
    const subject = uniqueName('subj');
    refusedSubjects.push(subject);
    const response = await api.post(`/v1/subjects/${subject}/consents/grant`, GRANT, { headers: { 'idempotency-key': 'k'.repeat(256) } });
    expect(expectErrorBody(response, 400)).toMatchObject({ error: 'validation', field: 'Idempotency-Key' });
  });
});

it('puts nothing on the log for any refused request', async () => {
  expect(refusedSubjects.length).toBeGreaterThan(badBodies.length);
  for (const subject of refusedSubjects) {
    expect({ subject, events: await tail.settledEventsOf(subject) }).toEqual({ subject, events: [] });
  }
});
