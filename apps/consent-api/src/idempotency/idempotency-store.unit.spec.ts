import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { IdempotencyStore } from './idempotency-store';

// The fingerprint of a request is stored next to its key; the body may hold an e-mail address.

const body = { scope: 'ALL', identities: [{ type: 'email', value: 'ada@example.com' }] };
const store = (masterKey: Buffer) => new IdempotencyStore({} as DataSource, 30_000, masterKey);

it('fingerprints a request the same whatever the order of its keys, and tells other requests apart', () => {
  const one = store(randomBytes(32));
  expect(one.fingerprint('erasure', 'subj-1', body)).toBe(one.fingerprint('erasure', 'subj-1', { identities: body.identities, scope: 'ALL' }));
  expect(one.fingerprint('erasure', 'subj-1', body)).not.toBe(one.fingerprint('erasure', 'subj-2', body));
});

it('keys it, so a guess of the body cannot be confirmed without the master key', () => {
  const key = randomBytes(32);
  const plain = createHash('sha256').update(JSON.stringify(['erasure', 'subj-1', body])).digest('hex');
  expect(store(key).fingerprint('erasure', 'subj-1', body)).not.toBe(plain);
  expect(store(key).fingerprint('erasure', 'subj-1', body)).not.toBe(store(randomBytes(32)).fingerprint('erasure', 'subj-1', body));
});

describe('release', () => {
  const terminated = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });

  /** A DataSource whose first `failures` queries fail as an outage; it records the rest. */
  function database(failures: number) {
    const queries: unknown[][] = [];
    let left = failures;
    const db = {
      query: async (_sql: string, params: unknown[]) => {
        if (left-- > 0) throw terminated();
        queries.push(params);
        return [];
      },
    } as unknown as DataSource;
    return { db, queries };
  }

  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('tries a release the database refused again each second, for this claim only, and stops once it passed', async () => {
    const { db, queries } = database(3);
    const store = new IdempotencyStore(db, 30_000, randomBytes(32));
    const claim = { token: '2026-12-02 14:00:00.123456+00', leaseEndsAt: 30_000 };
    await expect(store.release('svc', 'key-1', claim)).rejects.toThrow('terminating connection');
    await jest.advanceTimersByTimeAsync(1_000); // second attempt: refused too
    expect(queries).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_000); // third: refused
    await jest.advanceTimersByTimeAsync(1_000); // fourth: the database is back
    expect(queries).toEqual([['svc', 'key-1', claim.token]]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(queries).toHaveLength(1);
  });

  it('gives up at the end of the lease, when a retry may take the key over anyway', async () => {
    const { db, queries } = database(Number.MAX_SAFE_INTEGER);
    const store = new IdempotencyStore(db, 30_000, randomBytes(32));
    const spy = jest.spyOn(db, 'query');
    await expect(store.release('svc', 'key-2', { token: 't', leaseEndsAt: 5_000 })).rejects.toThrow();
    await jest.advanceTimersByTimeAsync(60_000);
    // At 0, 1, 2, 3 and 4 s, each before the lease ends at 5 s; none after it.
    expect(spy).toHaveBeenCalledTimes(5);
    expect(queries).toEqual([]);
  });
});
