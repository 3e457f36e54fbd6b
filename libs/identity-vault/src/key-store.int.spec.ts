import { randomBytes } from 'node:crypto';
import { freshDatabase } from '@lethe/testing';
import { decryptIdentities, encryptIdentities, PostgresKeyStore, ShreddedKeyError, shredKeys } from '.';

describe('PostgresKeyStore', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let store: PostgresKeyStore;
  const masterKey = randomBytes(32);
  beforeAll(async () => {
    database = await freshDatabase();
    store = new PostgresKeyStore(database.db, masterKey);
  });
  afterAll(() => database.drop());

  it('gives one key per subject, also to concurrent first callers', async () => {
    const keys = await Promise.all([store.keyFor('subj-a'), store.keyFor('subj-a'), store.keyFor('subj-a')]);
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(1);
    expect(keys[0].key.equals(keys[2].key)).toBe(true);
    expect((await store.keyFor('subj-b')).keyId).not.toBe(keys[0].keyId);
  });

  it('agrees on one key when two stores (two processes) use a subject first at the same time', async () => {
    const other = new PostgresKeyStore(database.db, masterKey);
    for (let round = 0; round < 20; round++) {
      const [mine, theirs] = await Promise.all([store.keyFor(`subj-race-${round}`), other.keyFor(`subj-race-${round}`)]);
      expect(theirs.keyId).toBe(mine.keyId);
      expect(theirs.key.equals(mine.key)).toBe(true);
    }
  });

  it('creates and reads the keys of concurrent callers in few statements, refusing only the shredded subject among them', async () => {
    await store.keyFor('subj-batch-shredded');
    await store.shred('subj-batch-shredded');
    const known = await store.keyFor('subj-batch-known');
    let statements = 0;
    const counted = new PostgresKeyStore({ query: (sql: string, parameters?: unknown[]) => (statements++, database.db.query(sql, parameters)) }, masterKey);
    const subjects = [...Array.from({ length: 60 }, (_, n) => `subj-batch-${n}`), 'subj-batch-shredded', 'subj-batch-known'];
    const results = await Promise.allSettled(subjects.map((subject) => counted.keyFor(subject)));
    expect(results.at(-2)).toEqual({ status: 'rejected', reason: expect.any(ShreddedKeyError) });
    expect(results.at(-1)).toEqual({ status: 'fulfilled', value: known });
    const fresh = results.slice(0, 60).map((result) => (result.status === 'fulfilled' ? result.value.keyId : 'refused'));
    expect(new Set(fresh).size).toBe(60);
    expect(fresh).not.toContain('refused');
    expect(statements).toBeLessThanOrEqual(8);
    // What was created is what is stored: a later read gives the same keys.
    expect((await store.keyFor('subj-batch-7')).keyId).toBe(fresh[7]);
  });

  it('stores keys wrapped, never in clear', async () => {
    const { key } = await store.keyFor('subj-c');
    const [row] = await database.db.query(`select wrapped_key from subject_keys where subject_id = 'subj-c'`);
    expect((row.wrapped_key as Buffer).includes(key)).toBe(false);
  });

  it('makes identifiers unreadable once shredded (crypto-shredding)', async () => {
    const dataKey = await store.keyFor('subj-d');
    const encrypted = encryptIdentities([{ type: 'email', value: 'x@example.com' }], 'subj-d', dataKey);
    const before = await store.keyById(encrypted.key_id);
    expect(decryptIdentities(encrypted, 'subj-d', before as Buffer)).toHaveLength(1);

    await store.shred('subj-d');
    await store.shred('subj-d'); // idempotent
    expect(await store.keyById(encrypted.key_id)).toBeNull();
    await expect(store.keyFor('subj-d')).rejects.toBeInstanceOf(ShreddedKeyError);
  });

  it('shreds in bulk, counts only keys it destroyed, and destroys a key a restore brought back', async () => {
    const { keyId } = await store.keyFor('subj-e');
    const [backup] = await database.db.query(`select * from subject_keys where subject_id = 'subj-e'`);
    expect(await shredKeys(database.db, ['subj-e', 'subj-never-seen', 'subj-e'])).toBe(2);
    expect(await shredKeys(database.db, ['subj-e', 'subj-never-seen'])).toBe(0);
    await expect(store.keyFor('subj-never-seen')).rejects.toBeInstanceOf(ShreddedKeyError);

    // A restore puts the row back as the backup had it; shredding again destroys it again.
    await database.db.query(`update subject_keys set wrapped_key = $2, shredded_at = null where subject_id = $1`, ['subj-e', backup.wrapped_key]);
    expect(await store.keyById(keyId)).not.toBeNull();
    expect(await shredKeys(database.db, ['subj-e'])).toBe(1);
    expect(await store.keyById(keyId)).toBeNull();
  });
});
