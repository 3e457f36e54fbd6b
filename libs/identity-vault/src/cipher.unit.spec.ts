import { randomBytes } from 'node:crypto';
import { decryptIdentities, encryptIdentities, Identity, unwrapKey, wrapKey } from './cipher';

const identities: Identity[] = [
  { type: 'email', value: 'ada@example.com' },
  { type: 'phone', value: '+44 20 7946 0000' },
];
const dataKey = { keyId: 'k1', key: randomBytes(32) };

describe('identity encryption', () => {
  it('round-trips and never holds the identifiers in clear', () => {
    const encrypted = encryptIdentities(identities, 'subj-1', dataKey);
    expect(encrypted.ciphertext.toString('utf8')).not.toContain('ada@example.com');
    expect(encrypted.iv).toHaveLength(12);
    expect(decryptIdentities(encrypted, 'subj-1', dataKey.key)).toEqual(identities);
  });

  it('uses a fresh IV each time', () => {
    const a = encryptIdentities(identities, 'subj-1', dataKey);
    const b = encryptIdentities(identities, 'subj-1', dataKey);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
  });

  it('does not decrypt under another subject or another key', () => {
    const encrypted = encryptIdentities(identities, 'subj-1', dataKey);
    expect(() => decryptIdentities(encrypted, 'subj-2', dataKey.key)).toThrow();
    expect(() => decryptIdentities(encrypted, 'subj-1', randomBytes(32))).toThrow();
  });

  it('wraps data keys under the master key, bound to their key id', () => {
    const master = randomBytes(32);
    const wrapped = wrapKey(dataKey.key, 'k1', master);
    expect(unwrapKey(wrapped, 'k1', master).equals(dataKey.key)).toBe(true);
    expect(() => unwrapKey(wrapped, 'k2', master)).toThrow();
  });
});
