import { randomBytes } from 'node:crypto';
import { ApiHarness } from './testing/api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await ApiHarness.start('rate-limit-e2e', { LETHE_API_RATE_LIMIT: '3', LETHE_API_AUTH_FAILURE_LIMIT: '2' });
});
afterAll(() => api?.close());

const read = (key: string | null, options: { headers?: Record<string, string>; remoteAddress?: string } = {}) =>
  api.call({ method: 'GET', url: '/v1/subjects/subj-1/consent', key, ...options });
const randomBearer = () => `lethe_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;

it('answers 429 with Retry-After past the per-key limit, and counts each key on its own', async () => {
  const noisy = await api.createKey('noisy', ['read']);
  const quiet = await api.createKey('quiet', ['read']);

  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await read(noisy)).statusCode);
  expect(statuses).toEqual([404, 404, 404, 429]);

  const limited = await read(noisy);
  expect(limited.statusCode).toBe(429);
  expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  expect(limited.json()).toMatchObject({ statusCode: 429, error: 'too_many_requests' });

  expect((await read(quiet)).statusCode).toBe(404);
  expect((await api.call({ method: 'GET', url: '/health', key: null })).statusCode).toBe(200);
});

it('counts a key by its id, however it is sent (Bearer, X-Api-Key, other spacing)', async () => {
  const key = await api.createKey('spelled-differently', ['read']);
  const statuses = [
    (await read(key)).statusCode,
    (await read(null, { headers: { 'x-api-key': key } })).statusCode,
    (await read(null, { headers: { authorization: `bearer   ${key}` } })).statusCode,
    (await read(null, { headers: { 'x-api-key': key } })).statusCode,
  ];
  expect(statuses).toEqual([404, 404, 404, 429]);
});

it('limits failed authentications per client address, so random bearer values neither bypass the limit nor cost a query each', async () => {
  const flooder = '198.51.100.7';
  // A service behind the same address, whose key was looked up before the flood began.
  const neighbour = await api.createKey('behind-the-same-address', ['read']);
  expect((await read(neighbour, { remoteAddress: flooder })).statusCode).toBe(404);
  const queries = jest.spyOn(api.runtime.db, 'query');
  const statuses = [];
  for (let i = 0; i < 2; i++) statuses.push((await read(randomBearer(), { remoteAddress: flooder })).statusCode);
  const lookupsBefore = queries.mock.calls.filter(([sql]) => String(sql).includes('api_keys')).length;
  const over = [];
  for (let i = 0; i < 20; i++) over.push(await read(randomBearer(), { remoteAddress: flooder }));
  const lookupsAfter = queries.mock.calls.filter(([sql]) => String(sql).includes('api_keys')).length;
  queries.mockRestore();

  expect(statuses).toEqual([401, 401]);
  expect(over.map((response) => response.statusCode)).toEqual(Array(20).fill(429));
  expect(Number(over[0].headers['retry-after'])).toBeGreaterThan(0);
  expect(over[0].json()).toMatchObject({ statusCode: 429, error: 'too_many_requests' });
  expect(over[0].json().message).toContain('failed authentications');
  expect(lookupsAfter).toBe(lookupsBefore);

  // A key already known to be valid costs no query either, so it is not held back.
  expect((await read(neighbour, { remoteAddress: flooder })).statusCode).toBe(404);
  // Another address is not held back by this one's failures.
  expect((await read(randomBearer(), { remoteAddress: '203.0.113.9' })).statusCode).toBe(401);
});
