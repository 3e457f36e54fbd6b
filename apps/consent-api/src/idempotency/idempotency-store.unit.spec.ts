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
