import { ConfigError, Env, masterKeyFrom } from '@lethe/config';
import type { ConsentEvent } from '@lethe/contracts';
import { decryptIdentities, heldKeyIds, PostgresKeyStore } from '@lethe/identity-vault';
import { createDataSource } from '@lethe/persistence';
import { UsageError } from './cli';
import { CliSettings } from './settings';
import { IdentityView } from './subject-timeline';

/** --reveal needs the master key named explicitly: never the local development fallback. */
export function revealKey(env: Env): Buffer {
  if (!env.LETHE_MASTER_KEY) throw new UsageError('--reveal needs LETHE_MASTER_KEY, the master key that wraps the subjects\' data keys');
  try {
    return masterKeyFrom(env).key;
  } catch (error) {
    throw error instanceof ConfigError ? new UsageError(error.message) : error;
  }
}

/**
 * How each event's identifiers are shown, by event id: `[encrypted]` while the identity vault
 * (subject_keys, in the live schema) holds the key, `[shredded]` once it does not; decrypted
 * only with a master key given for --reveal. Connects to PostgreSQL only if an event has any.
 */
export async function identityViews(settings: CliSettings, subjectId: string, events: ConsentEvent[], masterKey?: Buffer): Promise<Map<string, IdentityView>> {
  const views = new Map<string, IdentityView>(events.map((event) => [event.event_id, null]));
  const encrypted = events.filter((event) => event.identities !== null);
  if (encrypted.length === 0) return views;
  const db = createDataSource({ url: settings.databaseUrl, schema: settings.liveSchema, poolSize: 2 });
  await db.initialize();
  try {
    const held = await heldKeyIds(db, [...new Set(encrypted.map((event) => event.identities?.key_id ?? ''))]);
    const store = masterKey && new PostgresKeyStore(db, masterKey);
    for (const event of encrypted) {
      const identities = event.identities as NonNullable<ConsentEvent['identities']>;
      if (!held.has(identities.key_id)) views.set(event.event_id, '[shredded]');
      else if (!store) views.set(event.event_id, '[encrypted]');
      else views.set(event.event_id, await reveal(store, identities, subjectId));
    }
  } finally {
    await db.destroy();
  }
  return views;
}

async function reveal(store: PostgresKeyStore, identities: NonNullable<ConsentEvent['identities']>, subjectId: string): Promise<string[]> {
  let key: Buffer | null;
  try {
    key = await store.keyById(identities.key_id);
  } catch {
    throw new Error('LETHE_MASTER_KEY is not the key that wrapped this subject\'s data key: nothing was revealed');
  }
  if (!key) return ['[shredded]'];
  return decryptIdentities(identities, subjectId, key).map((identity) => `${identity.type}:${identity.value}`);
}
