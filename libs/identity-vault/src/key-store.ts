import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BatchedLookup } from '@lethe/config';
import { DataKey, unwrapKey, wrapKey } from './cipher';

/**
 * Where per-subject data keys live. PostgreSQL today; a KMS-backed store can implement the same
 * three calls. Shredding destroys the key so every copy of the subject's identifiers on the
 * append-only log becomes unreadable (docs/adr/0003-event-envelope.md).
 */
export interface KeyStore {
  /** The subject's current key, created on first use. Fails if the subject's key was shredded. */
  keyFor(subjectId: string): Promise<DataKey>;
  /** The key with this id, or null once shredded or never known. */
  keyById(keyId: string): Promise<Buffer | null>;
  shred(subjectId: string): Promise<void>;
}

export class ShreddedKeyError extends Error {
  readonly code = 'illegal_state';
  constructor() {
    super('the subject data key was shredded: identifiers can no longer be stored for this subject');
  }
}

export class PostgresKeyStore implements KeyStore {
  /**
   * One statement out at a time; the first uses and reads of keys asked for meanwhile go together
   * in the next (measured: fewer, larger statements serve more writes on a busy PostgreSQL than
   * several small ones at once; BENCHMARKS.md, consent API).
   */
  private readonly keys: BatchedLookup<{ key_id: string; wrapped_key: Buffer | null }>;

  constructor(
    private readonly db: Pick<DataSource, 'query'>,
    private readonly masterKey: Buffer,
  ) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes (AES-256)');
    this.keys = new BatchedLookup((subjectIds) => this.createOrRead(subjectIds));
  }

  async keyFor(subjectId: string): Promise<DataKey> {
    const row = await this.keys.get(subjectId);
    if (!row?.wrapped_key) throw new ShreddedKeyError();
    return { keyId: row.key_id, key: unwrapKey(row.wrapped_key, row.key_id, this.masterKey) };
  }

  /**
   * Insert-or-read, so concurrent first uses (in this process or another) agree on one key: the
   * insert waits for a row another transaction is inserting and then leaves it, and the subjects
   * it did not insert are read as they now are, shredded (no key) or not. Neither statement locks
   * an existing row. Each subject gets a fresh key, kept only if it is new.
   */
  private async createOrRead(subjectIds: string[]): Promise<Map<string, { key_id: string; wrapped_key: Buffer | null }>> {
    const keyIds = subjectIds.map(() => randomUUID());
    const wrapped = keyIds.map((keyId) => wrapKey(randomBytes(32), keyId, this.masterKey));
    const inserted: { subject_id: string; key_id: string; wrapped_key: Buffer }[] = await this.db.query(
      `insert into subject_keys (subject_id, key_id, wrapped_key) select * from unnest($1::text[], $2::text[], $3::bytea[])
       on conflict (subject_id) do nothing returning subject_id, key_id, wrapped_key`,
      [subjectIds, keyIds, wrapped],
    );
    const keys = new Map<string, { key_id: string; wrapped_key: Buffer | null }>(inserted.map((row) => [row.subject_id, row]));
    const known = subjectIds.filter((subjectId) => !keys.has(subjectId));
    if (known.length > 0) {
      const rows: { subject_id: string; key_id: string; wrapped_key: Buffer | null }[] = await this.db.query(
        `select subject_id, key_id, wrapped_key from subject_keys where subject_id = any($1)`,
        [known],
      );
      for (const row of rows) keys.set(row.subject_id, row);
    }
    return keys;
  }

  async keyById(keyId: string): Promise<Buffer | null> {
    const [row] = await this.db.query(`select wrapped_key from subject_keys where key_id = $1`, [keyId]);
    return row?.wrapped_key ? unwrapKey(row.wrapped_key, keyId, this.masterKey) : null;
  }

  /** The keys of these ids still held, in one query; for many steps looking up keys at once (key-lookup.ts). */
  async keysById(keyIds: readonly string[]): Promise<Map<string, Buffer>> {
    if (keyIds.length === 0) return new Map();
    const rows: { key_id: string; wrapped_key: Buffer }[] = await this.db.query(`select key_id, wrapped_key from subject_keys where key_id = any($1) and wrapped_key is not null`, [[...keyIds]]);
    return new Map(rows.map((row) => [row.key_id, unwrapKey(row.wrapped_key, row.key_id, this.masterKey)]));
  }

  async shred(subjectId: string): Promise<void> {
    await shredKeys(this.db, [subjectId]);
  }
}

/**
 * Destroys the data keys of these subjects (crypto-shredding): the wrapped key is cleared and a
 * subject without a row gets a shredded one, so no key can be made for them later. Needs no master
 * key. Idempotent: a key shredded before keeps its first shredded_at. Resolves with how many
 * subjects still held a key (or had no row), which a repeat on the same store reports as 0; a
 * higher count on a re-apply means a restore brought destroyed keys back.
 */
export async function shredKeys(db: Pick<DataSource, 'query'>, subjectIds: readonly string[]): Promise<number> {
  if (subjectIds.length === 0) return 0;
  const rows: unknown[] = await db.query(
    `insert into subject_keys (subject_id, key_id, wrapped_key, shredded_at)
     select subject_id, gen_random_uuid()::text, null, now() from unnest($1::text[]) as subject_id
     on conflict (subject_id) do update set wrapped_key = null, shredded_at = coalesce(subject_keys.shredded_at, now())
       where subject_keys.wrapped_key is not null or subject_keys.shredded_at is null
     returning subject_id`,
    [[...new Set(subjectIds)]],
  );
  return rows.length;
}

/**
 * Which of these key ids the store still holds a key for, without unwrapping any: to tell an
 * identifier that can still be read ([encrypted]) from one whose key was shredded or never known.
 */
export async function heldKeyIds(db: Pick<DataSource, 'query'>, keyIds: string[]): Promise<Set<string>> {
  if (keyIds.length === 0) return new Set();
  const rows: { key_id: string }[] = await db.query(`select key_id from subject_keys where key_id = any($1) and wrapped_key is not null`, [keyIds]);
  return new Set(rows.map((row) => row.key_id));
}
