import { createHash, createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';

/**
 * The fixed PKCS#8 header of an Ed25519 private key (RFC 8410): followed by the 32-byte seed it
 * is a complete DER key, which is how node:crypto accepts a raw seed.
 */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export class CertificateKeyError extends Error {
  override readonly name = 'CertificateKeyError';
}

/** The signing key from its 32-byte seed (LETHE_SIGNING_KEY). */
export function privateKeyFromSeed(seed: Buffer): KeyObject {
  if (seed.length !== 32) throw new CertificateKeyError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/**
 * A public key from SPKI PEM or base64 SPKI DER; a private key gives its public half. Anything
 * but Ed25519 is refused, so a verifier cannot be steered to another algorithm.
 */
export function publicKeyFrom(key: string | KeyObject): KeyObject {
  let parsed: KeyObject;
  try {
    if (typeof key !== 'string') parsed = key.type === 'private' ? createPublicKey(key) : key;
    else if (key.includes('-----BEGIN')) parsed = createPublicKey(key);
    else parsed = createPublicKey({ key: Buffer.from(key.trim(), 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new CertificateKeyError('not a public key in SPKI PEM or base64 DER');
  }
  if (parsed.asymmetricKeyType !== 'ed25519') throw new CertificateKeyError(`not an Ed25519 key (${parsed.asymmetricKeyType ?? 'unknown'})`);
  return parsed;
}

export function publicKeyPem(key: KeyObject): string {
  return publicKeyFrom(key).export({ type: 'spki', format: 'pem' }).toString();
}

/** `sha256:` and the hex SHA-256 of the SPKI DER: what a verifier pins and compares. */
export function keyIdOf(key: KeyObject): string {
  const der = publicKeyFrom(key).export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}
