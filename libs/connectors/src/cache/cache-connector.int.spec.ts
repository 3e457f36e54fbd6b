import Redis from 'ioredis';
import { testEndpoints, uniqueName } from '@lethe/testing';
import type { Identity } from '@lethe/identity-vault';
import { ConnectorError, ErasureTarget } from '../connector';
import { CacheConnector } from './cache-connector';
import { ledgerKey, LEDGER_TTL_SECONDS } from './cache-ledger';

// Ours holds a glob metacharacter; the others would match if it were not escaped ("u-1x"), or
// start with ours ("u-1*0").
const OURS = 'u-1*';
const OTHERS = ['u-1*0', 'u-1x'];

function target(subjectId: string, identities: Identity[] = [], workId = uniqueName('work')): ErasureTarget {
  return { workId, subjectId, identities, scope: 'ALL', purposes: [], keepTransactionHistory: false };
}

describe('CacheConnector', () => {
  const redis = new Redis(testEndpoints().redisUrl);
  let prefix: string;
  let system: string;
  let connector: CacheConnector;

  /** Session key, two cart keys, and for an email a profile key, for each subject. */
  async function seed(subjectId: string, email?: string) {
    await redis.set(`${prefix}:session:${subjectId}`, 'v');
    await redis.set(`${prefix}:cart:${subjectId}:1`, 'v');
    await redis.set(`${prefix}:cart:${subjectId}:2`, 'v');
    if (email) await redis.set(`${prefix}:profile:${email}`, 'v');
  }

  const remaining = async () => (await redis.keys(`${prefix}:*`)).sort();

  beforeEach(async () => {
    prefix = uniqueName('test-cache');
    system = uniqueName('cache');
    connector = new CacheConnector({
      system,
      url: testEndpoints().redisUrl,
      keys: [`${prefix}:session:{subjectId}`, `${prefix}:profile:{identity:email}`],
      patterns: [`${prefix}:cart:{subjectId}:*`],
    });
    await seed(OURS, 'ours@example.com');
    for (const other of OTHERS) await seed(other, `${other}@example.com`);
  });

  afterEach(async () => {
    await connector.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    const ledger = await redis.keys(`lethe:erasure-ledger:${system}:*`);
    if (ledger.length > 0) await redis.del(...ledger);
  });

  afterAll(() => redis.quit());

  it('answers a connection test', async () => {
    await expect(connector.testConnection()).resolves.toBeUndefined();
  });

  it("deletes exactly the subject's keys and counts them per template", async () => {
    const outcome = await connector.erase(target(OURS, [{ type: 'email', value: 'ours@example.com' }]));

    expect(outcome).toEqual({
      action: 'delete',
      counts: { [`${prefix}:session:{subjectId}`]: 1, [`${prefix}:profile:{identity:email}`]: 1, [`${prefix}:cart:{subjectId}:*`]: 2 },
      strategies: {},
      legalHold: null,
      alreadyDone: false,
    });
    const expected = OTHERS.flatMap((other) => [
      `${prefix}:cart:${other}:1`,
      `${prefix}:cart:${other}:2`,
      `${prefix}:profile:${other}@example.com`,
      `${prefix}:session:${other}`,
    ]);
    expect(await remaining()).toEqual(expected.sort());
  });

  it('acts once for the same request and reports the first outcome', async () => {
    const request = target(OURS, [{ type: 'email', value: 'ours@example.com' }]);
    const first = await connector.erase(request);
    await seed(OURS); // the application wrote the subject's keys again in between
    const second = await connector.erase(request);

    expect(second).toEqual({ ...first, alreadyDone: true });
    expect(await redis.exists(`${prefix}:session:${OURS}`)).toBe(1);
    const ttl = await redis.ttl(ledgerKey(system, request.workId));
    expect(ttl).toBeGreaterThan(LEDGER_TTL_SECONDS - 60);
  });

  it('records counts by template text, never the filled-in key or the subject id', async () => {
    const request = target(OURS, [{ type: 'email', value: 'ours@example.com' }]);
    await connector.erase(request);
    const stored = await redis.get(ledgerKey(system, request.workId));
    expect(stored).toContain('{subjectId}');
    expect(stored).not.toContain(OURS);
    expect(stored).not.toContain('ours@example.com');
  });

  it('counts without deleting in a dry run', async () => {
    const before = await remaining();
    const outcome = await connector.dryRun(target(OURS, [{ type: 'email', value: 'ours@example.com' }]));

    expect(outcome.counts).toEqual({
      [`${prefix}:session:{subjectId}`]: 1,
      [`${prefix}:profile:{identity:email}`]: 1,
      [`${prefix}:cart:{subjectId}:*`]: 2,
    });
    expect(outcome.alreadyDone).toBe(false);
    expect(await remaining()).toEqual(before);
  });

  it('fails for good, deleting nothing, when a template needs an identity the request does not carry', async () => {
    const before = await remaining();
    const request = target(OURS, [{ type: 'phone', value: '+491701234567' }]);
    // The subject-id templates could run, but a half-done step would read as done: none runs.
    for (const attempt of [() => connector.erase(request), () => connector.dryRun(request), () => connector.erase({ ...request, identities: [] })]) {
      const error = await attempt().then(() => null, (failure: unknown) => failure);
      expect(error).toBeInstanceOf(ConnectorError);
      expect(error).toMatchObject({
        retryable: false,
        message: expect.stringMatching(new RegExp(`^cache connector "${system}": (erase|dry run) failed: no_identity_for_match: .*\\(email\\)`)),
      });
      expect((error as Error).message).not.toMatch(/u-1|\+49/);
    }
    // Identities the request carried, whose key was shredded since, are named as such.
    const shredded = await connector.erase({ ...request, identities: [], identitiesShredded: true }).then(() => null, (failure: unknown) => failure);
    expect(shredded).toMatchObject({ retryable: false, message: expect.stringMatching(new RegExp(`^cache connector "${system}": erase failed: identity_shredded: .*\\(email\\)`)) });
    expect(await remaining()).toEqual(before);
    // Nothing was recorded: with the email, the same request erases for real.
    const later = await connector.erase({ ...request, identities: [{ type: 'email', value: 'ours@example.com' }] });
    expect(later).toMatchObject({ alreadyDone: false, counts: { [`${prefix}:profile:{identity:email}`]: 1, [`${prefix}:session:{subjectId}`]: 1 } });
  });

  it('still reports a request done before its identity was shredded as done', async () => {
    const request = target(OURS, [{ type: 'email', value: 'ours@example.com' }]);
    const first = await connector.erase(request);
    expect(await connector.erase({ ...request, identities: [] })).toEqual({ ...first, alreadyDone: true });
  });

  it('scans past a first page of keys', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => [`${prefix}:cart:${OURS}:extra-${i}`, 'v']).flat();
    await redis.mset(...many);
    const outcome = await connector.erase(target(OURS, [{ type: 'email', value: 'ours@example.com' }]));

    expect(outcome.counts[`${prefix}:cart:{subjectId}:*`]).toBe(2502);
    expect(await redis.keys(`${prefix}:cart:u-1\\*:*`)).toEqual([]);
  });

  it('reports an unreachable server as a retryable ConnectorError without the URL', async () => {
    const unreachable = new CacheConnector({ system, url: 'redis://:secret@127.0.0.1:1', keys: ['s:{subjectId}'] });
    try {
      const failure = await unreachable.erase(target(OURS)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConnectorError);
      expect((failure as ConnectorError).retryable).toBe(true);
      expect((failure as ConnectorError).message).not.toMatch(/secret|u-1/);
      await expect(unreachable.testConnection()).rejects.toMatchObject({ retryable: true });
    } finally {
      await unreachable.close();
    }
  });
});
