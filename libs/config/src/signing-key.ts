import { hkdfSync } from 'node:crypto';
import type { Env } from './endpoints';
import { ConfigError, masterKeyFrom } from './env';

/**
 * LETHE_SIGNING_KEY signs erasure certificates: the 32-byte Ed25519 seed, base64. Required with
 * DATABASE_URL, like LETHE_MASTER_KEY. On local defaults a fixed development key is derived from
 * the development master key, so certificates signed by it prove nothing to anyone else.
 */
export function signingKeyFrom(env: Env): { seed: Buffer; development: boolean } {
  return seedFrom(env, 'LETHE_SIGNING_KEY', 'lethe certificate signing key');
}

/**
 * LETHE_CHECKPOINT_KEY signs the checkpoints of consent.log's hash chain (docs/adr/0017): a key
 * of its own, held only by the checkpointer, so whoever can issue certificates cannot also vouch
 * for the log. Same form and rules as LETHE_SIGNING_KEY.
 */
export function checkpointKeyFrom(env: Env): { seed: Buffer; development: boolean } {
  return seedFrom(env, 'LETHE_CHECKPOINT_KEY', 'lethe checkpoint signing key');
}

function seedFrom(env: Env, name: string, purpose: string): { seed: Buffer; development: boolean } {
  const raw = env[name];
  if (!raw) {
    if (env.DATABASE_URL) {
      throw new ConfigError(`${name} is required with DATABASE_URL: a 32-byte Ed25519 seed in base64 (openssl rand -base64 32)`);
    }
    const development = masterKeyFrom({}).key;
    return { seed: Buffer.from(hkdfSync('sha256', development, Buffer.alloc(0), purpose, 32)), development: true };
  }
  const seed = Buffer.from(raw, 'base64');
  if (seed.length !== 32) throw new ConfigError(`${name} must be 32 bytes in base64, got ${seed.length} bytes`);
  return { seed, development: false };
}
