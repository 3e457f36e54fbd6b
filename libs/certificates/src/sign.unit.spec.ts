import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { buildCertificate, type ErasureCertificate } from './certificate';
import { certifiableRequest } from '@lethe/testing';
import { keyIdOf, privateKeyFromSeed, publicKeyPem } from './keys';
import { signCertificate, signedBytes, verifyCertificate, type SignedCertificate } from './sign';
import issuedV1 from './fixtures/issued-v1.certificate.json';
import issuedV2 from './fixtures/issued-v2.certificate.json';

const key = privateKeyFromSeed(Buffer.alloc(32, 7));
const other = generateKeyPairSync('ed25519').privateKey;

function certificate(): ErasureCertificate {
  const { subjectId, request, events, checkpoint } = certifiableRequest();
  return buildCertificate({ subjectId, checkpoint, request, events, issuedAt: Date.UTC(2026, 0, 6) });
}

/** Every path to a leaf (string, number, boolean, null) of a JSON document. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, Array.isArray(value) ? Number(k) : k]));
  return [path];
}

function changed(document: SignedCertificate, path: (string | number)[]): unknown {
  const copy = JSON.parse(JSON.stringify(document));
  const parent = path.slice(0, -1).reduce((node, k) => node[k], copy);
  const last = path[path.length - 1];
  const old = parent[last];
  parent[last] = typeof old === 'string' ? (old.length > 0 ? old.slice(0, -1) + (old.endsWith('A') ? 'B' : 'A') : 'x') : typeof old === 'number' ? old + 1 : typeof old === 'boolean' ? !old : 'x';
  return copy;
}

it('derives the key from its seed as RFC 8032 does (test vector 1)', () => {
  const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
  const signature = sign(null, Buffer.alloc(0), privateKeyFromSeed(seed)).toString('hex');
  expect(signature).toBe('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
  expect(() => privateKeyFromSeed(Buffer.alloc(31))).toThrow(/32 bytes/);
});

it('verifies a signed certificate, and says whether the signer was the pinned key', () => {
  const signed = signCertificate(certificate(), key);
  expect(signed.signature).toMatchObject({ algorithm: 'Ed25519', keyId: keyIdOf(key), publicKey: publicKeyPem(key) });
  expect(signed.signature.keyId).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(verifyCertificate(JSON.parse(JSON.stringify(signed)))).toMatchObject({ valid: true, pinned: false });
  expect(verifyCertificate(signed, publicKeyPem(key))).toMatchObject({ valid: true, pinned: true, keyId: keyIdOf(key) });
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  expect(verifyCertificate(signed, der.toString('base64'))).toMatchObject({ valid: true, pinned: true });
});

it('refuses a change to any field, the signature included', () => {
  const signed = signCertificate(certificate(), key);
  const paths = leaves(signed);
  expect(paths.length).toBeGreaterThan(40);
  for (const path of paths) {
    const result = verifyCertificate(changed(signed, path), publicKeyPem(key));
    expect({ path: path.join('.'), valid: result.valid }).toEqual({ path: path.join('.'), valid: false });
  }
  const added = { ...signed, note: 'added later' };
  expect(verifyCertificate(added)).toMatchObject({ valid: false, problem: expect.stringMatching(/does not match/) });
  const removed: Partial<SignedCertificate> = { ...signed };
  delete removed.extension;
  expect(verifyCertificate(removed).valid).toBe(false);
});

it('refuses a key that is not the pinned one, and a signature made by another key', () => {
  const signed = signCertificate(certificate(), key);
  const byOther = signCertificate(certificate(), other);
  expect(verifyCertificate(byOther)).toMatchObject({ valid: true, pinned: false }); // intact, but by whom?
  expect(verifyCertificate(byOther, publicKeyPem(key))).toMatchObject({ valid: false, problem: expect.stringMatching(/not by the expected key/) });
  // Another key's signature value under our key's name.
  const swapped = { ...signed, signature: { ...signed.signature, value: byOther.signature.value } };
  expect(verifyCertificate(swapped, publicKeyPem(key))).toMatchObject({ valid: false, problem: expect.stringMatching(/does not match/) });
  // Another key's public key with our key id.
  const relabelled = { ...byOther, signature: { ...byOther.signature, keyId: signed.signature.keyId } };
  expect(verifyCertificate(relabelled, publicKeyPem(key))).toMatchObject({ valid: false, problem: expect.stringMatching(/fingerprint/) });
  expect(verifyCertificate(signed, 'not a key')).toMatchObject({ valid: false, problem: expect.stringMatching(/expected public key/) });
});

it('signs canonical JSON: the order of keys does not matter, their values do', () => {
  const signed = signCertificate(certificate(), key);
  const reordered = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(signed))).reverse());
  reordered.events = { completed: signed.events.completed, requested: signed.events.requested };
  expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(signed));
  expect(signedBytes(reordered).equals(signedBytes(signed))).toBe(true);
  expect(verifyCertificate(reordered, publicKeyPem(key)).valid).toBe(true);
  expect(signedBytes(signed).toString()).toMatch(/^\{"checkpoint":\{"auditOffset":"12","auditTopic":"consent.audit","note":"lethe\/consent.log\/4\\n107\\n.*\},"completedAt":"2026-01-05T09:00:04.000Z","dueAt":/);
  expect(signedBytes(signed).toString()).not.toContain('signature');
});

it('refuses what is not a certificate of a known format', () => {
  const signed = signCertificate(certificate(), key);
  expect(verifyCertificate(null).valid).toBe(false);
  expect(verifyCertificate([]).valid).toBe(false);
  expect(signed.format).toBe('lethe.erasure-certificate/v3');
  expect(verifyCertificate({ ...signed, format: 'lethe.erasure-certificate/v0' })).toMatchObject({ valid: false, problem: expect.stringMatching(/unknown format/) });
  const unsigned: Partial<SignedCertificate> = { ...signed };
  delete unsigned.signature;
  expect(verifyCertificate(unsigned)).toMatchObject({ valid: false, problem: 'no signature' });
  expect(verifyCertificate({ ...signed, signature: { ...signed.signature, algorithm: 'RS256' } }).valid).toBe(false);
});

it('still verifies a certificate issued in format v1, and refuses it changed', () => {
  // Signed by the v1 code with this spec's key, before systems named pseudonymized and anonymized fields.
  expect(issuedV1).toMatchObject({ format: 'lethe.erasure-certificate/v1', signature: { keyId: keyIdOf(key) } });
  expect(issuedV1.systems[1]).not.toHaveProperty('pseudonymized');
  expect(verifyCertificate(issuedV1, publicKeyPem(key))).toMatchObject({ valid: true, pinned: true });
  const relabelled = { ...issuedV1, format: 'lethe.erasure-certificate/v2' };
  expect(verifyCertificate(relabelled, publicKeyPem(key))).toMatchObject({ valid: false, problem: expect.stringMatching(/does not match/) });
});

it('still verifies a certificate issued in format v2, before certificates cited a checkpoint', () => {
  expect(issuedV2).toMatchObject({ format: 'lethe.erasure-certificate/v2', signature: { keyId: keyIdOf(key) } });
  expect(issuedV2).not.toHaveProperty('checkpoint');
  expect(verifyCertificate(issuedV2, publicKeyPem(key))).toMatchObject({ valid: true, pinned: true });
  expect(verifyCertificate({ ...issuedV2, format: 'lethe.erasure-certificate/v3' }, publicKeyPem(key))).toMatchObject({ valid: false });
});
