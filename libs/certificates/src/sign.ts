import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '@lethe/consent-domain';
import { VERIFIABLE_FORMATS, type CertifiedSystem, type ErasureCertificate } from './certificate';
import { keyIdOf, publicKeyFrom, publicKeyPem } from './keys';

export interface CertificateSignature {
  algorithm: 'Ed25519';
  /** keyIdOf(publicKey): compare it with the key you pinned. */
  keyId: string;
  /** SPKI PEM. It lets anyone check the bytes, but proves nothing about who signed: pin the key. */
  publicKey: string;
  /** Base64 of the Ed25519 signature over the canonical JSON of everything but `signature`. */
  value: string;
}

export type SignedCertificate = ErasureCertificate & { signature: CertificateSignature };

/** A certificate of any verifiable format: one issued as v1 has no `pseudonymized` and `anonymized`. */
export type VerifiedCertificate = Omit<SignedCertificate, 'format' | 'systems' | 'checkpoint'> & {
  format: string;
  /** From v3 on. */
  checkpoint?: SignedCertificate['checkpoint'];
  systems: (Omit<CertifiedSystem, 'pseudonymized' | 'anonymized'> & Partial<Pick<CertifiedSystem, 'pseudonymized' | 'anonymized'>>)[];
};

export type Verification =
  | { valid: true; certificate: VerifiedCertificate; keyId: string; pinned: boolean }
  | { valid: false; problem: string };

/** What is signed: the document without its signature, as canonical JSON (sorted keys, no spaces). */
export function signedBytes(document: object): Buffer {
  const rest: Record<string, unknown> = { ...document };
  delete rest.signature;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

export function signCertificate(certificate: ErasureCertificate, privateKey: KeyObject): SignedCertificate {
  const value = sign(null, signedBytes(certificate), privateKey).toString('base64');
  const signature: CertificateSignature = { algorithm: 'Ed25519', keyId: keyIdOf(privateKey), publicKey: publicKeyPem(privateKey), value };
  return { ...certificate, signature };
}

/**
 * Checks a certificate offline. With `expectedKey` (the key you pinned) the document must have
 * been signed by it; without, only the embedded key is used, which shows the document is intact
 * but not that Lethe issued it (`pinned: false`). Every field counts: any change is refused.
 */
export function verifyCertificate(document: unknown, expectedKey?: KeyObject | string): Verification {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return invalid('not a JSON object');
  const { format, signature } = document as { format?: unknown; signature?: Partial<Record<keyof CertificateSignature, unknown>> };
  if (typeof format !== 'string' || !VERIFIABLE_FORMATS.includes(format)) {
    return invalid(`unknown format ${JSON.stringify(format)}, expected one of ${VERIFIABLE_FORMATS.map((known) => `"${known}"`).join(', ')}`);
  }
  if (!signature || typeof signature !== 'object') return invalid('no signature');
  const { algorithm, keyId, publicKey, value } = signature;
  if (algorithm !== 'Ed25519') return invalid(`unsupported signature algorithm ${JSON.stringify(algorithm)}`);
  if (typeof keyId !== 'string' || typeof publicKey !== 'string' || typeof value !== 'string') return invalid('signature lacks keyId, publicKey or value');
  if (Object.keys(signature).length !== 4) return invalid('signature has fields that are not signed');

  let embedded: KeyObject;
  try {
    embedded = publicKeyFrom(publicKey);
  } catch (error) {
    return invalid(`embedded public key: ${(error as Error).message}`);
  }
  // Only the canonical encodings, so no byte of the document can change without being refused.
  if (publicKey !== publicKeyPem(embedded)) return invalid('embedded public key is not in canonical SPKI PEM');
  if (keyIdOf(embedded) !== keyId) return invalid('keyId is not the fingerprint of the embedded public key');
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length !== 64 || bytes.toString('base64') !== value) return invalid('signature value is not 64 bytes of canonical base64');

  let pinned = false;
  if (expectedKey !== undefined) {
    let expectedId: string;
    try {
      expectedId = keyIdOf(publicKeyFrom(expectedKey));
    } catch (error) {
      return invalid(`expected public key: ${(error as Error).message}`);
    }
    if (expectedId !== keyId) return invalid(`signed by key ${keyId}, not by the expected key ${expectedId}`);
    pinned = true;
  }
  if (!verify(null, signedBytes(document), embedded, bytes)) return invalid('signature does not match the document (it was changed, or signed by another key)');
  return { valid: true, certificate: document as VerifiedCertificate, keyId, pinned };
}

function invalid(problem: string): Verification {
  return { valid: false, problem };
}
