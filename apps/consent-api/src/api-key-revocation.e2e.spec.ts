import { uniqueName, waitFor } from '@lethe/testing';
import { ApiKeyStore } from './auth/api-keys';
import { ApiHarness } from './testing/api-harness';

// Looked-up API keys are cached, so a busy key costs no query per request; a key revoked
// elsewhere (the CLI, another instance of the API) must still stop working within the cache's
// bound, LETHE_API_KEY_CACHE_MS.

const CACHE_MS = 1_000;
let api: ApiHarness;

beforeAll(async () => {
  api = await ApiHarness.start('revocation-e2e', { LETHE_API_KEY_CACHE_MS: String(CACHE_MS) });
});

afterAll(async () => {
  await api?.close();
});

const optOut = (key: string) => api.post(`/v1/subjects/${uniqueName('subj')}/opt-outs`, { kinds: ['SALE'] }, { key });

it('stops accepting a key revoked by another process within LETHE_API_KEY_CACHE_MS', async () => {
  // Another store on the same database, as `npm run api-key -- revoke` uses: the API's cache is not told.
  const elsewhere = new ApiKeyStore(api.runtime.db);
  const { keyId, key } = await elsewhere.create('revoked-later', { actions: ['optout:write'], purposes: ['*'] });
  expect((await optOut(key)).statusCode).toBe(202); // looked up and cached now
  const revokedAt = Date.now();
  expect(await elsewhere.revoke(keyId)).toBe(true);

  await waitFor(async () => (await optOut(key)).statusCode === 401, {
    description: 'the revoked key to be refused',
    timeoutMs: CACHE_MS + 5_000,
    intervalMs: 100,
  });
  // The bound, plus one request's time on a loaded machine.
  expect(Date.now() - revokedAt).toBeLessThanOrEqual(CACHE_MS + 1_000);
  expect((await optOut(key)).statusCode).toBe(401);
});

it('refuses LETHE_API_KEY_CACHE_MS above a minute', async () => {
  const { loadApiConfig } = await import('./config');
  expect(() => loadApiConfig({ LETHE_API_KEY_CACHE_MS: '600000' })).toThrow(/LETHE_API_KEY_CACHE_MS/);
});
