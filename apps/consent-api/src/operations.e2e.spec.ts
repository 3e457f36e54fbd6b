import { randomUUID } from 'node:crypto';
import { AddressInfo, connect } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness, ERROR_KEYS, LogTail, STACK_LINE } from './testing/api-harness';

// What operators and client generators rely on: /health, /metrics, /docs/json, and a 503 with
// Retry-After (never a 2xx) when the event log does not acknowledge a write.

let api: ApiHarness;
let tail: LogTail;
let withoutBroker: NestFastifyApplication;

beforeAll(async () => {
  api = await ApiHarness.start('operations-e2e');
  withoutBroker = await api.startWithoutBroker(500);
  const consumer = testKafka('consent-api-operations').consumer({ groupId: uniqueName('test.api-operations') });
  tail = api.logTail(consumer, waitFor);
  await tail.start();
});

afterAll(async () => {
  await tail?.stop();
  await withoutBroker?.close();
  await api?.close();
});

/** The value of one sample of a Prometheus text exposition, 0 when absent. */
function sample(metrics: string, name: string, labels: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('GET /health', () => {
  it('is ready, without an API key, when PostgreSQL and Kafka answer', async () => {
    const response = await api.call({ method: 'GET', url: '/health', key: null });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: { database: 'up', eventLog: 'up' } });
  });
});

describe('GET /metrics', () => {
  it('counts acknowledged events by type and requests by route, never by subject', async () => {
    const read = async () => (await api.call({ method: 'GET', url: '/metrics', key: null })).body;
    const before = await read();
    const subject = uniqueName('subj');
    for (const kinds of [['SALE'], ['PROFILING']]) {
      expect((await api.post(`/v1/subjects/${subject}/opt-outs`, { kinds })).statusCode).toBe(202);
    }
    const response = await api.call({ method: 'GET', url: '/metrics', key: null });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const after = response.body;
    expect(after).toContain('# TYPE lethe_api_events_written_total counter');
    const written = (text: string) => sample(text, 'lethe_api_events_written_total', 'type="OptOutRecorded"');
    expect(written(after) - written(before)).toBe(2);
    const requests = (text: string) =>
      sample(text, 'lethe_api_requests_total', 'route="/v1/subjects/:subjectId/opt-outs",method="POST",status="202"');
    expect(requests(after) - requests(before)).toBe(2);
    // How long the API held each answered request, by route and status class; and every request
    // that reached it: the two writes and the read that returned `after`.
    const held = (text: string) => sample(text, 'lethe_api_request_seconds_count', 'route="/v1/subjects/:subjectId/opt-outs",status="2xx"');
    expect(held(after) - held(before)).toBe(2);
    const received = (text: string) => Number(text.match(/^lethe_api_requests_received_total (\d+)$/m)?.[1]);
    expect(received(after) - received(before)).toBe(3);
    expect(after).toContain('lethe_api_broker_write_seconds_bucket');
    expect(after).not.toContain(subject);
  });
});

describe('GET /metrics, requests whose client hangs up', () => {
  it('records the wait of a request abandoned before its answer, as aborted', async () => {
    const read = async () => (await api.call({ method: 'GET', url: '/metrics', key: null })).body;
    const aborted = (text: string) => sample(text, 'lethe_api_request_seconds_count', 'route="/v1/subjects/:subjectId/opt-outs",status="aborted"');
    const before = aborted(await read());
    await api.app.listen(0, '127.0.0.1');
    const { port } = api.app.getHttpServer().address() as AddressInfo;
    // Headers and the first byte of a body announced longer: once the API has the request, the client leaves.
    const arrived = new Promise((done) => api.app.getHttpServer().once('request', done));
    const socket = connect(port, '127.0.0.1');
    socket.write(`POST /v1/subjects/${uniqueName('subj')}/opt-outs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${api.defaultKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    await arrived;
    socket.destroy();
    await waitFor(async () => aborted(await read()) > before, { description: 'the abandoned request recorded as aborted', timeoutMs: 10_000 });
    expect(aborted(await read()) - before).toBe(1);
  });
});

describe('GET /docs/json', () => {
  it('is an OpenAPI document listing every write and read', async () => {
    const response = await api.call({ method: 'GET', url: '/docs/json', key: null });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toBe('Lethe consent API');
    const writes = ['consents/grant', 'consents/withdraw', 'objections', 'opt-outs', 'erasure-requests', 'gpc'];
    for (const write of writes) {
      expect(document.paths[`/v1/subjects/{subjectId}/${write}`]?.post).toBeDefined();
    }
    expect(document.paths['/v1/subjects/{subjectId}/consent']?.get).toBeDefined();
    expect(document.paths['/v1/erasure-requests/{requestId}']?.get).toBeDefined();
    const grant = document.paths['/v1/subjects/{subjectId}/consents/grant'].post;
    expect(Object.keys(grant.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '403', '503']));
    expect(JSON.stringify(grant.requestBody)).toContain('GrantDto');
    expect(JSON.stringify(document.components.schemas.GrantDto.required)).toContain('policyVersion');
  });
});

it('answers an unknown route with 404 in the error shape', async () => {
  const response = await api.call({ method: 'GET', url: '/v1/nothing-here' });
  expect(response.statusCode).toBe(404);
  expect(Object.keys(response.json()).filter((key) => !ERROR_KEYS.includes(key))).toEqual([]);
  expect(response.json()).toMatchObject({ statusCode: 404, error: 'not_found' });
});

describe('when the event log does not acknowledge', () => {
  const WRITES: [string, object][] = [
    ['consents/grant', { purposes: ['marketing'], policyVersion: '2026-01' }],
    ['consents/withdraw', { purposes: ['marketing'] }],
    ['objections', {}],
    ['opt-outs', { kinds: ['SALE'] }],
    ['erasure-requests', { scope: 'ALL', systems: ['crm'], identities: [{ type: 'email', value: 'frank@example.com' }] }],
    ['gpc', {}],
  ];
  const unavailableSubjects: string[] = [];

  it.each(WRITES)('POST %s answers 503 with Retry-After', async (endpoint, body) => {
    const subject = uniqueName('subj');
    unavailableSubjects.push(subject);
    const response = await api.call(
      { method: 'POST', url: `/v1/subjects/${subject}/${endpoint}`, payload: body, headers: { 'sec-gpc': '1' } },
      withoutBroker,
    );
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toEqual({
      statusCode: 503,
      error: 'unavailable',
      reason: 'broker_unavailable',
      message: 'the event log is unavailable; retry with the same Idempotency-Key',
    });
    expect(response.body).not.toMatch(STACK_LINE);
    expect(response.body).not.toContain('frank@example.com');
  });

  it('counts the failures in its metrics: writes the broker did not take, and those refused at once while it did not (docs/adr/0023)', async () => {
    const metrics = (await api.call({ method: 'GET', url: '/metrics', key: null }, withoutBroker)).body;
    const failed = Number(metrics.match(/^lethe_api_broker_write_failures_total (\d+)$/m)?.[1]);
    expect(failed).toBeGreaterThanOrEqual(1);
    expect(failed + sample(metrics, 'lethe_api_writes_shed_total', 'reason="broker_unavailable"')).toBe(unavailableSubjects.length);
    expect(metrics).not.toMatch(/^lethe_api_events_written_total\{/m);
  });

  it('lets the client retry with the same Idempotency-Key once the log is back', async () => {
    const subject = uniqueName('subj');
    const request = { method: 'POST' as const, url: `/v1/subjects/${subject}/opt-outs`, payload: { kinds: ['SHARING'] }, headers: { 'idempotency-key': uniqueName('idem') } };
    expect((await api.call(request, withoutBroker)).statusCode).toBe(503);
    expect((await api.call(request, withoutBroker)).statusCode).toBe(503); // the failed attempt released the key
    const retried = await api.call(request);
    expect(retried.statusCode).toBe(202);
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([retried.json().eventId]);
    expect((await api.call(request)).json()).toEqual(retried.json());
  });

  it('lets the client retry with the same eventId once the log is back', async () => {
    const subject = uniqueName('subj');
    const eventId = randomUUID();
    const request = { method: 'POST' as const, url: `/v1/subjects/${subject}/objections`, payload: { eventId, purposes: ['marketing'] } };
    expect((await api.call(request, withoutBroker)).statusCode).toBe(503);
    const retried = await api.call(request);
    expect(retried.statusCode).toBe(202);
    expect(retried.json().eventId).toBe(eventId);
    expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([eventId]);
  });

  it('wrote nothing for any request it answered 503', async () => {
    expect(unavailableSubjects).toHaveLength(WRITES.length);
    for (const subject of unavailableSubjects) expect(await tail.settledEventsOf(subject)).toEqual([]);
  });
});
