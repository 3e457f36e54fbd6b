import { createHash, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { publicKeyFrom } from '../keys';

/**
 * C2SP signed notes (c2sp.org/signed-note) with Ed25519: a text body, a blank line, and one line
 * per signature, `— <key name> <base64(key hash ‖ signature)>`. The key hash is the first four
 * bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), 0x01 naming Ed25519.
 */
export class NoteError extends Error {
  override readonly name = 'NoteError';
}

const ED25519 = 0x01;
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const KEY_NAME = /^[^\s+]+$/;

export function rawPublicKey(key: KeyObject): Buffer {
  return publicKeyFrom(key).export({ type: 'spki', format: 'der' }).subarray(SPKI_PREFIX.length);
}

function keyHash(name: string, raw: Buffer): Buffer {
  return createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([ED25519]), raw])).digest().subarray(0, 4);
}

/** The verifier key an auditor pins: `<name>+<key hash, hex>+<base64(0x01 ‖ public key)>`. */
export function verifierKey(name: string, key: KeyObject): string {
  if (!KEY_NAME.test(name)) throw new NoteError('a key name has no spaces and no +');
  const raw = rawPublicKey(key);
  return `${name}+${keyHash(name, raw).toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), raw]).toString('base64')}`;
}

export interface NoteVerifier {
  name: string;
  hash: Buffer;
  publicKey: KeyObject;
}

export function parseVerifierKey(vkey: string): NoteVerifier {
  // base64 has + too: the key is everything after the second one.
  const [name, hash, ...key] = vkey.trim().split('+');
  const bytes = Buffer.from(key.join('+'), 'base64');
  if (!name || !/^[0-9a-f]{8}$/.test(hash ?? '') || bytes.length !== 33 || bytes[0] !== ED25519) {
    throw new NoteError('not an Ed25519 verifier key (<name>+<8 hex digits>+<base64 of 0x01 and 32 bytes>)');
  }
  const raw = bytes.subarray(1);
  if (!keyHash(name, raw).equals(Buffer.from(hash, 'hex'))) throw new NoteError('the verifier key hash does not match its name and key');
  return { name, hash: Buffer.from(hash, 'hex'), publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }) };
}

/** The note: body (which ends with a newline), a blank line, the signature line. Ed25519 is deterministic: the same body gives the same note. */
export function signNote(body: string, name: string, privateKey: KeyObject): string {
  if (!body.endsWith('\n')) throw new NoteError('a note body ends with a newline');
  const signature = sign(null, Buffer.from(body, 'utf8'), privateKey);
  return `${body}\n— ${name} ${Buffer.concat([keyHash(name, rawPublicKey(privateKey)), signature]).toString('base64')}\n`;
}

/**
 * The body of a note signed by `verifier`, or by one of several (a key and the ones it replaced);
 * throws a NoteError saying what is wrong otherwise.
 */
export function openNote(note: string, verifier: NoteVerifier | NoteVerifier[]): string {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new NoteError('not a signed note (no blank line before the signatures)');
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const verifiers = Array.isArray(verifier) ? verifier : [verifier];
  for (const candidate of verifiers) {
    for (const line of lines.filter((l) => l.startsWith(`— ${candidate.name} `))) {
      const bytes = Buffer.from(line.slice(`— ${candidate.name} `.length), 'base64');
      if (bytes.length === 68 && bytes.subarray(0, 4).equals(candidate.hash) && verify(null, Buffer.from(body, 'utf8'), candidate.publicKey, bytes.subarray(4))) return body;
    }
  }
  const named = verifiers.filter((v) => lines.some((l) => l.startsWith(`— ${v.name} `))).map((v) => v.name);
  if (named.length === 0) throw new NoteError(`no signature by key ${[...new Set(verifiers.map((v) => v.name))].join(' or ')}`);
  throw new NoteError(`the signature by key ${[...new Set(named)].join(' or ')} does not match the note (it was changed, or signed by another key)`);
}
