import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness, LogTail } from './testing/api-harness';

// Admission control of the write path (docs/adr/0023), on the real app and stack with a bound
// of 2 writes in progress: a burst past it is answered 503 overloaded with Retry-After before
// anything is written, every 2xx is on consent.log and no 503 is, and the API takes writes
// again once the burst is over. A log that fails makes the writes after it fail at once, before
// their key is checked or their body parsed.

let api: ApiHarness;
let tail: LogTail;
let withoutBroker: NestFastifyApplication | undefined;

beforeAll(async () => {
  api = await ApiHarness.start('load-shedding-e2e', { LETHE_API_MAX_PENDING_APPENDS: '2' });
  tail = api.logTail(testKafka('consent-api-load-shedding').consumer({ groupId: uniqueName('test.api-shedding') }), waitFor);
  await tail.start();
});

afterAll(async () => {
  await tail?.stop();
  await withoutBroker?.close();
  await api?.close();
});

const withdraw = (subject: string, eventId: string, app?: NestFastifyApplication) =>
  api.call({ method: 'POST', url: `/v1/subjects/${subject}/consents/withdraw`, payload: { purposes: ['marketing'], eventId } }, app);

it('answers a burst past the bound 503 overloaded with Retry-After, writes only what it accepted, and accepts again after it', async () => {
  const burst = Array.from({ length: 40 }, () => ({ subject: uniqueName('subj'), eventId: randomUUID() }));
  const answers = await Promise.all(burst.map(({ subject, eventId }) => withdraw(subject, eventId)));

  const accepted = burst.filter((_, i) => answers[i].statusCode === 202);
  const shed = burst.filter((_, i) => answers[i].statusCode === 503);
  expect(accepted.length + shed.length).toBe(burst.length);
  expect(accepted.length).toBeGreaterThanOrEqual(2);
  expect(shed.length).toBeGreaterThan(0);
  const refusal = answers.find((answer) => answer.statusCode === 503);
  expect(refusal?.headers['retry-after']).toBe('1');
  expect(refusal?.json()).toEqual({
    statusCode: 503,
    error: 'unavailable',
    reason: 'overloaded',
    message: 'the API has as many writes in progress as it takes; nothing was written, retry with the same Idempotency-Key',
  });

  for (const { subject, eventId } of accepted) expect((await tail.settledEventsOf(subject)).map((event) => event.event_id)).toEqual([eventId]);
  for (const { subject } of shed) expect(await tail.settledEventsOf(subject)).toEqual([]);

  // Once answered, the burst holds no place: sequential writes, and a retry of a shed one, go in.
  for (let i = 0; i < 5; i++) expect((await withdraw(uniqueName('subj'), randomUUID())).statusCode).toBe(202);
  const retried = await withdraw(shed[0].subject, shed[0].eventId);
  expect(retried.statusCode).toBe(202);
  expect((await tail.settledEventsOf(shed[0].subject)).map((event) => event.event_id)).toEqual([shed[0].eventId]);

  const metrics = (await api.call({ method: 'GET', url: '/metrics', key: null })).body;
  expect(metrics).toContain(`lethe_api_writes_shed_total{reason="overloaded"} ${shed.length}`);
}, 120_000);

it('once the log failed a write, refuses the writes after it at once, without waiting for the broker', async () => {
  withoutBroker = await api.startWithoutBroker(500);
  const first = await withdraw(uniqueName('subj'), randomUUID(), withoutBroker);
  expect(first.statusCode).toBe(503);
  expect(first.json()).toMatchObject({ reason: 'broker_unavailable' });

  // Among them, one with neither a valid key nor valid JSON: turned away on arrival, before its
  // key is checked or its body parsed, it gets the same 503, not 401 or 400.
  const unread = () => api.call({ method: 'POST', url: `/v1/subjects/${uniqueName('subj')}/consents/withdraw`, payload: '{not json', key: 'lethe_0000_not-a-key' }, withoutBroker);
  const started = Date.now();
  const [junk, ...next] = await Promise.all([unread(), ...Array.from({ length: 20 }, () => withdraw(uniqueName('subj'), randomUUID(), withoutBroker))]);
  const elapsed = Date.now() - started;
  expect(next.map((answer) => [answer.statusCode, answer.headers['retry-after'], answer.json().reason])).toEqual(Array(20).fill([503, '5', 'broker_unavailable']));
  expect([junk.statusCode, junk.headers['retry-after'], junk.json().reason]).toEqual([503, '5', 'broker_unavailable']);
  expect(elapsed).toBeLessThan(500); // the broker timeout: none of them waited for it
  const metrics = (await api.call({ method: 'GET', url: '/metrics', key: null }, withoutBroker)).body;
  expect(metrics).toMatch(/^lethe_api_broker_write_failures_total 1$/m);
  expect(metrics).toContain('lethe_api_writes_shed_total{reason="broker_unavailable"} 21');
}, 60_000);
