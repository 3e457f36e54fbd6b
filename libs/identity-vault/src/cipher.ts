import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptedIdentities } from '@lethe/contracts';

/** A direct identifier a downstream system needs to find a person's rows. */
export interface Identity {
  type: 'email' | 'phone' | 'account_id' | 'customer_id' | 'device_id';
  value: string;
}

export const IDENTITY_TYPES: Identity['type'][] = ['email', 'phone', 'account_id', 'customer_id', 'device_id'];

export interface DataKey {
  keyId: string;
  key: Buffer; // 32 bytes, AES-256
}

/**
 * AES-256-GCM under the subject's data key. The subject id is the additional authenticated
 * data, so a ciphertext copied onto another subject's event does not decrypt.
 */
export function encryptIdentities(identities: Identity[], subjectId: string, { keyId, key }: DataKey): EncryptedIdentities {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(subjectId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(identities), 'utf8'), cipher.final()]);
  return { key_id: keyId, algorithm: 'AES_256_GCM', iv, ciphertext, auth_tag: cipher.getAuthTag() };
}

export function decryptIdentities(encrypted: EncryptedIdentities, subjectId: string, key: Buffer): Identity[] {
  const decipher = createDecipheriv('aes-256-gcm', key, encrypted.iv);
  decipher.setAAD(Buffer.from(subjectId, 'utf8'));
  decipher.setAuthTag(encrypted.auth_tag);
  const plain = Buffer.concat([decipher.update(encrypted.ciphertext), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as Identity[];
}

/** Wraps (encrypts) a data key under the master key, for storage; same format as above. */
export function wrapKey(key: Buffer, keyId: string, masterKey: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
  cipher.setAAD(Buffer.from(keyId, 'utf8'));
  const body = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

export function unwrapKey(wrapped: Buffer, keyId: string, masterKey: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', masterKey, wrapped.subarray(0, 12));
  decipher.setAAD(Buffer.from(keyId, 'utf8'));
  decipher.setAuthTag(wrapped.subarray(12, 28));
  return Buffer.concat([decipher.update(wrapped.subarray(28)), decipher.final()]);
}
