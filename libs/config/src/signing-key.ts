import { hkdfSync } from 'node:crypto';
import type { Env } from './endpoints';
import { ConfigError, masterKeyFrom } from './env';

/**
 * LETHE_SIGNING_KEY signs erasure certificates: the 32-byte Ed25519 seed, base64. Required with
 * DATABASE_URL, like LETHE_MASTER_KEY. On local defaults a fixed development key is derived from
 * the development master key, so certificates signed by it prove nothing to anyone else.
 */
export function signingKeyFrom(env: Env): { seed: Buffer; development: boolean } {
  const raw = env.LETHE_SIGNING_KEY;
  if (!raw) {
    if (env.DATABASE_URL) {
      throw new ConfigError('LETHE_SIGNING_KEY is required with DATABASE_URL: a 32-byte Ed25519 seed in base64 (openssl rand -base64 32)');
    }
    const development = masterKeyFrom({}).key;
    return { seed: Buffer.from(hkdfSync('sha256', development, Buffer.alloc(0), 'lethe certificate signing key', 32)), development: true };
  }
  const seed = Buffer.from(raw, 'base64');
  if (seed.length !== 32) throw new ConfigError(`LETHE_SIGNING_KEY must be 32 bytes in base64, got ${seed.length} bytes`);
  return { seed, development: false };
}
