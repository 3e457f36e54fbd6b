import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { erasureWorkId } from '@lethe/contracts';
import { SIGNATURE_HEADERS, signPayload } from '@lethe/connectors';
import { testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness, ERROR_KEYS, LogTail, STACK_LINE } from './testing/api-harness';

// Fuzzing every route of the API, on the real app and stack, with generated paths, headers and
// bodies (wrong types, control characters, lone surrogates, invalid UTF-8, prototype keys, deep
// nesting, huge numbers, oversize and non-JSON bodies, bad keys and Idempotency-Keys). Every
// request carries a marker of its own in what it sends. Properties: never a 5xx; every 4xx is
// the documented error shape and quotes none of the markers; and after the run no refused
// request's marker is on consent.log or in the projection (accepted ones may be).

const SECRET = 'fuzz-vendor-shared-secret-0123456789';
const VENDOR = uniqueName('fuzz-vendor');
const CACHE = uniqueName('fuzz-cache');
const RUNS = Number(process.env.LETHE_FUZZ_RUNS ?? 120);

let api: ApiHarness;
let tail: LogTail;
let projector: ChildProcess;
let dir: string;
let readOnlyKey: string;
const seeded = { subject: uniqueName('fuzzseed'), requestId: uniqueName('fuzzdsr'), callbackSubject: uniqueName('fuzzcb'), callbackRequestId: uniqueName('fuzzcbdsr') };

/** Markers of requests that wrote nothing, with the answer, to look for on the log afterwards. */
const refused = new Map<string, string>();
/** Shrinking sends variants of one generated request, so one marker may be refused once and accepted another time. */
const acceptedMarkers = new Set<string>();
let counter = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lethe-fuzz-'));
  const systemsFile = join(dir, 'systems.yaml');
  writeFileSync(
    systemsFile,
    [
      'systems:',
      `  - { name: ${VENDOR}, type: http, url: "http://127.0.0.1:9/opendsr", secret: ${SECRET} }`,
      `  - { name: ${CACHE}, type: cache, url: "redis://127.0.0.1:6379", keys: ["session:{subjectId}"] }`,
    ].join('\n'),
  );
  // Limits high enough that the fuzz reaches the routes rather than the rate limiter (itself a 4xx).
  api = await ApiHarness.start('fuzz-e2e', { LETHE_SYSTEMS_FILE: systemsFile, LETHE_API_AUTH_FAILURE_LIMIT: '100000', LETHE_API_RATE_LIMIT: '10000000' });
  readOnlyKey = await api.createKey('fuzz-reader', ['read'], ['marketing']);
  tail = api.logTail(testKafka('consent-api-fuzz').consumer({ groupId: uniqueName('test.api-fuzz') }), waitFor);
  await tail.start();
  projector = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, '../../projector/src/main.ts')], {
    cwd: resolve(__dirname, '../../..'),
    env: { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.fuzz') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Known requests, so operations, reads and callbacks get past "not found" too.
  for (const [subject, requestId] of [
    [seeded.subject, seeded.requestId],
    [seeded.callbackSubject, seeded.callbackRequestId],
  ]) {
    const created = await api.post(`/v1/subjects/${subject}/erasure-requests`, { requestId, scope: 'ALL', systems: [VENDOR], identities: [{ type: 'email', value: 'fuzz@example.com' }] });
    expect(created.statusCode).toBe(202);
    await waitFor(async () => (await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}` })).statusCode === 200, { description: `the projection of ${requestId}`, timeoutMs: 60_000 });
  }
});

afterAll(async () => {
  projector?.kill('SIGTERM');
  if (projector) await new Promise((done) => projector.once('exit', done));
  await tail?.stop();
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- what a request is made of

/** A fresh marker: lower-case letters and digits, so it fits every id, code and slug field. */
const newMarker = () => `fz${(counter++).toString(36)}q${randomBytes(3).toString('hex')}`;

/** Text that carries the marker, valid or broken in the ways fields are broken. */
function text(marker: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(marker),
    fc.constantFrom('\u0000', '\n', '\u001b[2J', '\u007f', '\u0085', '\ud800', '\udfff', '\ud83d\ude00', ' ', '@example.com', '\u202e', '\ufeff').map((odd) => `${marker}${odd}`),
    fc.string({ unit: 'binary', maxLength: 12 }).map((noise) => `${marker}${noise}`),
    fc.integer({ min: 100, max: 70_000 }).map((n) => `${marker}${'x'.repeat(n)}`),
    fc.constant(`Ada ${marker} Lovelace`),
  );
}

type Body = Record<string, unknown>;

/** A value of the wrong kind for almost any field. */
function wrongValue(marker: string): fc.Arbitrary<unknown> {
  const deep = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : [deep(depth - 1, leaf)]);
  return fc.oneof(
    text(marker),
    fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, [], {}),
    fc.array(text(marker), { maxLength: 4 }),
    fc.integer({ min: 1, max: 3000 }).map((depth) => deep(depth, marker)),
    fc.dictionary(markedKey(marker), text(marker), { maxKeys: 3 }),
    fc.constant(Array.from({ length: 5000 }, () => marker)),
  );
}

/**
 * A key no DTO declares that carries the marker, never shaped like a field name: an unknown key
 * that is one (`colour`) is named in the refusal, as the README says; any other is not repeated.
 */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const markedKey = (marker: string) => text(marker).map((key) => (FIELD_NAME.test(key) ? `${key}@example.com` : key));

/** Keys no DTO declares: prototype-polluting ones, and ones that carry the marker. */
function oddKey(marker: string): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'then'), markedKey(marker));
}

/** Sets an own property, `__proto__` included. */
function withKey(body: Body, key: string, value: unknown): Body {
  const copy = { ...body };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

/** The valid body, or it with fields removed, replaced by wrong values, or unknown keys added. */
function mutated(valid: Body, marker: string): fc.Arbitrary<Body> {
  const fields = Object.keys(valid);
  const change = fc.oneof(
    ...(fields.length ? [fc.constantFrom(...fields).map((field) => (body: Body) => Object.fromEntries(Object.entries(body).filter(([key]) => key !== field)))] : []),
    ...(fields.length ? [fc.tuple(fc.constantFrom(...fields), wrongValue(marker)).map(([field, value]) => (body: Body) => withKey(body, field, value))] : []),
    fc.tuple(oddKey(marker), wrongValue(marker)).map(([key, value]) => (body: Body) => withKey(body, key, value)),
    fc.tuple(fc.constantFrom('eventId', 'occurredAt', 'source', 'jurisdiction', 'correlationId', 'identities', 'requestId', 'systems', 'reason'), wrongValue(marker)).map(
      ([field, value]) =>
        (body: Body) =>
          withKey(body, field, value),
    ),
    fc.constant((body: Body) => withKey(body, 'eventId', randomUUID())),
    fc.constant((body: Body) => withKey(body, 'identities', [{ type: 'email', value: `${marker}@example.com`, [`${marker} x`]: 1 }])),
  );
  return fc.array(change, { maxLength: 3 }).map((changes) => changes.reduce((body, apply) => apply(body), valid));
}

/** What goes on the wire: JSON of the body, or something that is not a JSON object at all. */
type Wire = { payload?: string | Buffer; contentType?: string };
function wire(body: fc.Arbitrary<Body>, marker: string): fc.Arbitrary<Wire> {
  const json = (value: unknown) => ({ payload: JSON.stringify(value), contentType: 'application/json' });
  return fc.oneof(
    { weight: 6, arbitrary: body.map(json) },
    fc.constantFrom<Wire>({}, { payload: '' }, { payload: 'null', contentType: 'application/json' }, { payload: '[]', contentType: 'application/json' }, { payload: '42', contentType: 'application/json' }),
    fc.constantFrom('{"a": 1e999}', `{"${marker}@x": "\\ud800"}`, `{"purposes": ["${marker}\\udc00"]}`, `{"__proto__": {"${marker}": 1}}`, `{"constructor": {"prototype": {"${marker}": 1}}}`, `{"a": ${marker}}`, `{"${marker}`, `${'['.repeat(10_000)}${']'.repeat(10_000)}`).map(
      (payload) => ({ payload, contentType: 'application/json' }),
    ),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ payload: Buffer.concat([Buffer.from(`{"reason": "${marker}`), Buffer.from(bytes), Buffer.from('"}')]), contentType: 'application/json' })),
    fc.constant({ payload: JSON.stringify({ reason: `${marker}${'x'.repeat(70 * 1024)}` }), contentType: 'application/json' }),
    fc.tuple(body, fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/JSON', 'application/json-seq', ';', '')).map(
      ([value, contentType]) => ({ payload: JSON.stringify(value), contentType }),
    ),
  );
}

/** Authorization as services send it, and as they get it wrong. */
function auth(marker: string): fc.Arbitrary<Record<string, string>> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant({ authorization: `Bearer ${api.defaultKey}` }) },
    fc.constantFrom<Record<string, string>>({}, { authorization: `Bearer ${readOnlyKey}` }, { 'x-api-key': api.defaultKey }, { authorization: 'Bearer' }, { authorization: '' }),
    fc.constantFrom(`Bearer ${marker}`, `Basic ${marker}`, `bearer  ${api.defaultKey}x${marker}`, `Bearer ${api.defaultKey} ${marker}`, `Bearer ${marker}${'k'.repeat(5000)}`).map((value) => ({ authorization: value })),
    fc.constant({ 'x-api-key': `${marker}\u00e9` }),
  );
}

/** Header values a client can send: visible ASCII, space, tab and Latin-1 bytes. */
const headerText = (marker: string) =>
  fc.oneof(fc.constant(marker), fc.constantFrom(' ', '\t', '\u00e9', '\u00ff', '"', ',', '') .map((odd) => `${marker}${odd}x`), fc.constant(`${marker}${'k'.repeat(300)}`));

function extraHeaders(marker: string): fc.Arbitrary<Record<string, string>> {
  return fc.record(
    {
      'idempotency-key': fc.oneof(fc.constant(`${marker}-key`), headerText(marker), fc.constant('')),
      'sec-gpc': fc.constantFrom('1', ' 1 ', '0', '', '1, 1', marker),
      'x-forwarded-for': headerText(marker),
      accept: fc.constantFrom('application/xml', '*/*', marker),
      [SIGNATURE_HEADERS.timestamp]: fc.oneof(fc.constant(String(Math.floor(Date.now() / 1000))), fc.constantFrom('-1', '1e99', '99999999999999999999', 'NaN', ''), fc.constant(marker)),
      [SIGNATURE_HEADERS.signature]: fc.oneof(fc.constant(`v1=${marker}`), fc.constantFrom('v1=', 'v2=00', `v1=${'0'.repeat(64)}`)),
    },
    { requiredKeys: [] },
  );
}

/** A path segment: the id itself, or it broken (an e-mail, a name, control bytes, invalid UTF-8, too long). */
function segment(id: string, marker: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(id) },
    fc.constantFrom(
      `${marker}%40example.com`,
      `Ada%20${marker}`,
      `${marker}%00`,
      `${marker}%ED%A0%80`,
      `%FF${marker}`,
      `${marker}%E0%A4%A`,
      `${marker}%2F..%2F`,
      `${marker}${'x'.repeat(300)}`,
      `${marker}${'x'.repeat(120)}`,
      '%2e%2e',
      '',
      `${marker}%C2%85`,
      `${marker}?${marker}=1`,
      `${marker}#x`,
    ),
  );
}

// ---------------------------------------------------------------- the properties

interface Sent {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';
  url: string;
  headers: Record<string, string>;
  wire: Wire;
  marker: string;
}

async function send({ method, url, headers, wire: { payload, contentType } }: Sent): Promise<LightMyRequestResponse> {
  const all = { ...(contentType === undefined ? {} : { 'content-type': contentType }), ...headers };
  return api.app.getHttpAdapter().getInstance().inject({ method, url, payload, headers: all });
}

/** Sends it and checks the answer; records the marker as refused unless the API says it wrote something. */
async function check(request: Sent): Promise<void> {
  const response = await send(request);
  const status = response.statusCode;
  const wrote = status === 202 || (status === 200 && /"status":"accepted"/.test(response.body));
  if (wrote) acceptedMarkers.add(request.marker);
  const what = `${request.method} ${request.url.slice(0, 200)} -> ${status} ${response.body.slice(0, 300)}`;
  if (!wrote) refused.set(request.marker, what);
  if (status >= 500) throw new Error(`a 5xx: ${what}`);
  if (status < 400 || request.method === 'HEAD') return;
  expect({ what, type: response.headers['content-type'] }).toMatchObject({ type: expect.stringMatching(/^application\/json/) });
  const body = response.json();
  const shape = { statusCode: body.statusCode, error: typeof body.error, message: typeof body.message, extra: Object.keys(body).filter((key) => !ERROR_KEYS.includes(key)) };
  expect({ what, ...shape }).toEqual({ what, statusCode: status, error: 'string', message: 'string', extra: [] });
  if (STACK_LINE.test(response.body)) throw new Error(`a stack trace: ${what}`);
  if (response.body.includes(request.marker)) throw new Error(`echoes what was sent: ${what}`);
}

const options = (runs: number) => ({ numRuns: Math.max(1, Math.round((runs * RUNS) / 120)) });

const WRITES: [string, Body][] = [
  ['consents/grant', { purposes: ['marketing'], policyVersion: '2026-01' }],
  ['consents/withdraw', { purposes: ['marketing'], jurisdiction: 'GDPR' }],
  ['objections', { purposes: ['marketing'], reason: 'direct_marketing' }],
  ['opt-outs', { kinds: ['SALE'] }],
  ['erasure-requests', { scope: 'ALL', systems: [CACHE] }],
  ['gpc', {}],
];

// Fixed examples of what the fuzz found, each once a failure.
describe('refusals that quoted what was sent', () => {
  const GRANT = { purposes: ['marketing'], policyVersion: '2026-01' };

  it('does not repeat an unknown body key that is not a field name (it may be an e-mail address)', async () => {
    const response = await api.post(`/v1/subjects/${uniqueName('subj')}/consents/grant`, { ...GRANT, 'ada@example.com': true });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'validation', message: expect.stringMatching(/not a known field/) });
    expect(response.body).not.toContain('ada@example.com');
  });

  it('does not repeat such a key nested in a list either, but names where it is', async () => {
    const identities = [{ type: 'email', value: 'x@example.com', 'Ada Lovelace': 1 }];
    const response = await api.post(`/v1/subjects/${uniqueName('subj')}/erasure-requests`, { scope: 'ALL', systems: [CACHE], identities });
    expect(response.json()).toMatchObject({ statusCode: 400, field: 'identities[0]' });
    expect(response.body).not.toContain('Lovelace');
  });

  it('does not repeat an unknown query parameter that is not a field name', async () => {
    const response = await api.call({ method: 'GET', url: '/v1/erasure-requests?ada%40example.com=1' });
    expect(response.statusCode).toBe(400);
    expect(response.body).not.toContain('ada@example.com');
  });

  it('still names an unknown key shaped like a field name', async () => {
    const response = await api.post(`/v1/subjects/${uniqueName('subj')}/consents/grant`, { ...GRANT, colour: 'red' });
    expect(response.json()).toMatchObject({ field: 'colour', message: 'colour is not a known field' });
  });

  it.each(['consents/grant', 'erasure-requests'])('answers a small body nested 2,000 deep (POST %s) with 400, not a 500 from a stack overflow', async (route) => {
    const deep = JSON.stringify({ scope: 'ALL', eventId: JSON.parse(`${'['.repeat(2000)}"x"${']'.repeat(2000)}`) });
    const response = await api.post(`/v1/subjects/${uniqueName('subj')}/${route}`, deep);
    expect(response.json()).toEqual({ statusCode: 400, error: 'validation', message: expect.stringMatching(/nested/) });
  });

  it.each(['GET', 'POST', 'DELETE'] as const)('answers %s on a path no route has with 404, without repeating the path', async (method) => {
    const response = await api.call({ method, url: '/v1/subjects/ada@example.com' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ statusCode: 404, error: 'not_found', message: expect.any(String) });
    expect(response.body).not.toContain('ada@example.com');
  });
});

describe('fuzzing every route', () => {
  it('writes: POST /v1/subjects/{id}/{grant,withdraw,objections,opt-outs,erasure-requests,gpc}', async () => {
    const request = fc.constantFrom(...WRITES).chain(([route, valid]): fc.Arbitrary<Sent> => {
      const marker = newMarker();
      const body = route === 'erasure-requests' ? { ...valid, requestId: `${marker}-r`, correlationId: `${marker}-c` } : { ...valid, correlationId: `${marker}-c` };
      return fc.record({
        method: fc.constant('POST' as const),
        url: segment(`${marker}-s`, marker).map((subject) => `/v1/subjects/${subject}/${route}`),
        headers: fc.tuple(auth(marker), extraHeaders(marker)).map(([a, b]) => ({ ...b, ...a })),
        wire: wire(mutated(body, marker), marker),
        marker: fc.constant(marker),
      });
    });
    await fc.assert(fc.asyncProperty(request, check), options(600));
  });

  it('operations: list, deadline-extension, retry', async () => {
    const request = fc.integer({ min: 0, max: 2 }).chain((which): fc.Arbitrary<Sent> => {
      const marker = newMarker();
      const requestId = fc.oneof(fc.constant(seeded.requestId), segment(`${marker}-r`, marker));
      const headers = fc.tuple(auth(marker), extraHeaders(marker)).map(([a, b]) => ({ ...b, ...a }));
      if (which === 0) {
        const query = fc.array(
          fc.tuple(
            fc.constantFrom('status', 'limit', 'cursor', '__proto__', 'constructor', `${marker}%40example.com`, `${marker}%00`, `${marker}%20x`),
            fc.oneof(fc.constantFrom('open', 'overdue', 'completed', '0', '1', '1000', '1001', '-1', '1e309', '1.5', 'NaN', '', '%00', '%ED%A0%80', '%FF'), fc.constant(marker), fc.constant(Buffer.from(`["${marker}","x","y"]`).toString('base64url'))),
          ),
          { maxLength: 4 },
        );
        return fc.record({
          method: fc.constant('GET' as const),
          url: query.map((pairs) => `/v1/erasure-requests?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
          headers,
          wire: fc.constant<Wire>({}),
          marker: fc.constant(marker),
        });
      }
      const url =
        which === 1
          ? requestId.map((id) => `/v1/erasure-requests/${id}/deadline-extension`)
          : fc.tuple(requestId, fc.oneof(fc.constant(VENDOR), segment(`${marker}-sys`, marker))).map(([id, system]) => `/v1/erasure-requests/${id}/systems/${system}/retry`);
      const valid: Body = which === 1 ? { reason: `${marker}-why` } : {};
      return fc.record({ method: fc.constant('POST' as const), url, headers, wire: wire(mutated(valid, marker), marker), marker: fc.constant(marker) });
    });
    await fc.assert(fc.asyncProperty(request, check), options(250));
  });

  it('reads and certificates: consent, erasure requests, certificates, public key', async () => {
    const request = fc.integer({ min: 0, max: 5 }).chain((which): fc.Arbitrary<Sent> => {
      const marker = newMarker();
      const subject = fc.oneof(fc.constant(seeded.subject), segment(`${marker}-s`, marker));
      const requestId = fc.oneof(fc.constant(seeded.requestId), segment(`${marker}-r`, marker));
      const urls = [
        subject.map((s) => `/v1/subjects/${s}/consent`),
        requestId.map((r) => `/v1/erasure-requests/${r}`),
        fc.tuple(subject, requestId).map(([s, r]) => `/v1/subjects/${s}/erasure-requests/${r}`),
        requestId.map((r) => `/v1/erasure-requests/${r}/certificate`),
        fc.tuple(subject, requestId).map(([s, r]) => `/v1/subjects/${s}/erasure-requests/${r}/certificate`),
        fc.constant(`/v1/certificates/public-key?${marker}=1`),
      ];
      return fc.record({
        method: fc.constantFrom('GET' as const, 'HEAD' as const),
        url: urls[which],
        headers: fc.tuple(auth(marker), extraHeaders(marker)).map(([a, b]) => ({ ...b, ...a })),
        wire: fc.oneof(fc.constant<Wire>({}), wire(fc.constant({}), marker)),
        marker: fc.constant(marker),
      });
    });
    await fc.assert(fc.asyncProperty(request, check), options(200));
  });

  it('processor callbacks: POST /v1/processors/{system}/callbacks, signed and not', async () => {
    const workId = erasureWorkId(seeded.callbackSubject, seeded.callbackRequestId);
    const request = fc.boolean().chain((validlySigned): fc.Arbitrary<Sent> => {
      const marker = newMarker();
      const valid: Body = { subject_request_id: `${marker}-w`, request_status: 'completed', counts: { records: 1 } };
      const body = fc.tuple(mutated(valid, marker), fc.constantFrom('pending', 'in_progress', 'completed', 'failed', 'cancelled', marker), fc.boolean()).map(([b, status, known]) => ({
        ...b,
        ...(known ? { subject_request_id: workId, request_status: status } : {}),
      }));
      return fc.record({
        method: fc.constant('POST' as const),
        url: segment(VENDOR, marker).map((system) => `/v1/processors/${system}/callbacks`),
        headers: extraHeaders(marker),
        wire: wire(body, marker),
        marker: fc.constant(marker),
      }).map((sent) => {
        if (!validlySigned || sent.wire.payload === undefined) return sent;
        // Signed as the processor signs: a valid signature over whatever body was generated.
        const timestamp = Math.floor(Date.now() / 1000);
        const raw = sent.wire.payload.toString();
        return { ...sent, wire: { ...sent.wire, payload: raw }, headers: { ...sent.headers, [SIGNATURE_HEADERS.timestamp]: String(timestamp), [SIGNATURE_HEADERS.signature]: signPayload(SECRET, timestamp, raw) } };
      });
    });
    await fc.assert(fc.asyncProperty(request, check), options(250));
  });

  it('health, metrics, docs, unknown routes and methods', async () => {
    const request = fc.constant(null).chain((): fc.Arbitrary<Sent> => {
      const marker = newMarker();
      return fc.record({
        method: fc.constantFrom('GET' as const, 'HEAD' as const, 'POST' as const, 'PUT' as const, 'DELETE' as const, 'PATCH' as const, 'OPTIONS' as const),
        url: fc.oneof(
          fc.constantFrom('/health', '/metrics', '/docs/json', '/docs', '/v1/certificates/public-key').map((path) => `${path}?${marker}=1`),
          fc.constantFrom(`/v1/${marker}`, `/${marker}%00`, `/v1/subjects/${marker}`, `/v1/subjects/${marker}/consents/${marker}`, `/v1/processors/${marker}/callbacks/x`, `//${marker}`, `/v1/erasure-requests/${marker}/systems/`),
        ),
        headers: fc.tuple(auth(marker), extraHeaders(marker)).map(([a, b]) => ({ ...b, ...a })),
        wire: fc.oneof(fc.constant<Wire>({}), wire(fc.constant({}), marker)),
        marker: fc.constant(marker),
      });
    });
    await fc.assert(fc.asyncProperty(request, check), options(150));
  });

  it('leaves nothing a refused request sent on consent.log or in the projection', async () => {
    expect(refused.size).toBeGreaterThan(100);
    expect(acceptedMarkers.size).toBeGreaterThan(0);
    const markers = (text: string) => (text.match(/fz[0-9a-z]+q[0-9a-f]{6}/g) ?? []).filter((marker) => refused.has(marker) && !acceptedMarkers.has(marker));
    const onLog = (await tail.settledEvents()).flatMap((event) => markers(JSON.stringify(event)).map((marker) => ({ answer: refused.get(marker), event })));
    expect(onLog).toEqual([]);
    const rows: { row: string }[] = await api.runtime.db.query(`select row_to_json(s)::text as row from subject_state s union all select row_to_json(r)::text from erasure_requests r`);
    expect(rows.flatMap(({ row }) => markers(row).map((marker) => ({ answer: refused.get(marker), row })))).toEqual([]);
  });
});
