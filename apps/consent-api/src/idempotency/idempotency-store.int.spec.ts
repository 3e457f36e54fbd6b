import { randomBytes } from 'node:crypto';
import { freshDatabase } from '@lethe/testing';
import { IdempotencyStore } from './idempotency-store';

describe('IdempotencyStore on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let statements = 0;
  let store: IdempotencyStore;
  beforeAll(async () => {
    database = await freshDatabase();
    const counted = { query: (sql: string, parameters?: unknown[]) => (statements++, database.db.query(sql, parameters)) };
    store = new IdempotencyStore(counted as never, 30_000, randomBytes(32));
  });
  afterAll(() => database.drop());

  const outcome = (claim: ReturnType<IdempotencyStore['claim']>) =>
    claim.then(
      (found) => ('token' in found ? 'claimed' : `stored ${found.statusCode}`),
      (error: Error) => error.constructor.name,
    );

  it('claims the keys of concurrent writes in few statements, one claim per key, and refuses a key reused for another request', async () => {
    statements = 0;
    const asked = [
      ...Array.from({ length: 60 }, (_, n) => store.claim('svc', `key-${n}`, `hash-${n}`)),
      store.claim('svc', 'key-7', 'hash-7'), // the same request twice at once
      store.claim('svc', 'key-8', 'hash-other'), // the same key for another request
      store.claim('other-svc', 'key-9', 'hash-9'), // another service's key of that name
    ];
    const results = await Promise.all(asked.map(outcome));
    // The first to ask for a key claims it; a later one in the same statement finds it taken.
    expect(results.slice(0, 60)).toEqual(Array(60).fill('claimed'));
    expect(results.slice(60)).toEqual(['KeyInProgressException', 'UnprocessableEntityException', 'claimed']);
    expect(statements).toBeLessThanOrEqual(10);
  });

  it('stores the responses of concurrent writes in few statements, each under its own claim, and answers them to a repeat', async () => {
    const claims = await Promise.all(Array.from({ length: 30 }, (_, n) => store.claim('svc', `done-${n}`, `hash-${n}`)));
    statements = 0;
    await Promise.all(claims.map((claim, n) => ('token' in claim ? store.complete('svc', `done-${n}`, claim, { statusCode: 202, body: { n } }) : Promise.reject(new Error('not claimed')))));
    expect(statements).toBeLessThanOrEqual(5);
    const repeats = await Promise.all(Array.from({ length: 30 }, (_, n) => store.claim('svc', `done-${n}`, `hash-${n}`)));
    expect(repeats).toEqual(Array.from({ length: 30 }, (_, n) => ({ statusCode: 202, body: { n } })));
  });

  it('lets a claim whose lease ran out be taken over, and never completes the old claim over the new one', async () => {
    const old = await store.claim('svc', 'lapsed', 'hash');
    await database.db.query(`update idempotency_keys set created_at = now() - interval '1 minute' where key = 'lapsed'`);
    const taken = await store.claim('svc', 'lapsed', 'hash');
    expect('token' in taken && 'token' in old && taken.token !== old.token).toBe(true);
    if (!('token' in old) || !('token' in taken)) return;
    await store.complete('svc', 'lapsed', old, { statusCode: 500, body: 'old' }); // the first request, finishing late
    await store.complete('svc', 'lapsed', taken, { statusCode: 202, body: 'new' });
    expect(await store.claim('svc', 'lapsed', 'hash')).toEqual({ statusCode: 202, body: 'new' });
  });
});
