import { ApiHarness } from './testing/api-harness';

let api: ApiHarness;
beforeAll(async () => {
  api = await ApiHarness.start('rate-limit-e2e', { LETHE_API_RATE_LIMIT: '3' });
});
afterAll(() => api?.close());

it('answers 429 with Retry-After past the per-key limit, and counts each key on its own', async () => {
  const noisy = await api.createKey('noisy', ['read']);
  const quiet = await api.createKey('quiet', ['read']);
  const read = (key: string) => api.call({ method: 'GET', url: '/v1/subjects/subj-1/consent', key });

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
