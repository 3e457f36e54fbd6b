import { generateKeyPairSync } from 'node:crypto';
import { ChainEntry } from './audit-record';
import { auditRecordValue, parseAuditRecord } from './audit-record';
import { chainLink, EMPTY_HEAD, headerList, recordDigest } from './chain';
import { checkpointBody, parseCheckpoint } from './checkpoint';
import { openNote, parseVerifierKey, signNote, verifierKey } from './note';
import { firstDivergence, SignedCheckpoint, verifyPartition } from './verify-partition';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const digest = (text: string) => recordDigest({ key: Buffer.from('k'), value: Buffer.from(text), headers: [] }).toString('base64');
const entries = (texts: string[], from = 0n): ChainEntry[] => texts.map((text, i) => ({ offset: from + BigInt(i), digest: digest(text) }));

/** Checkpoints of `log` at the given sizes, as the checkpointer writes them. */
function checkpointsOf(log: ChainEntry[], sizes: number[]): SignedCheckpoint[] {
  let head: Buffer = EMPTY_HEAD;
  let done = 0;
  return sizes.map((size, n) => {
    const chained = log.slice(done, size);
    for (const e of chained) head = chainLink(head, e.offset, Buffer.from(e.digest, 'base64'));
    done = size;
    return { size: BigInt(size), hash: head, auditOffset: String(n), entries: chained };
  });
}

describe('the record encoding', () => {
  it('is unambiguous: moving bytes between key, value and headers, or null for empty, changes the digest', () => {
    const base = recordDigest({ key: Buffer.from('ab'), value: Buffer.from('c'), headers: [] });
    expect(recordDigest({ key: Buffer.from('a'), value: Buffer.from('bc'), headers: [] })).not.toEqual(base);
    expect(recordDigest({ key: Buffer.from('ab'), value: Buffer.from('c'), headers: [['x', null]] })).not.toEqual(base);
    expect(recordDigest({ key: Buffer.alloc(0), value: null, headers: [] })).not.toEqual(recordDigest({ key: null, value: Buffer.alloc(0), headers: [] }));
    expect(recordDigest({ key: null, value: null, headers: [['a', Buffer.from('b')]] })).not.toEqual(recordDigest({ key: null, value: null, headers: [['ab', Buffer.alloc(0)]] }));
  });

  it('chains the offset: the same record at another offset gives another head', () => {
    const d = recordDigest({ key: null, value: Buffer.from('v'), headers: [] });
    expect(chainLink(EMPTY_HEAD, 0n, d)).not.toEqual(chainLink(EMPTY_HEAD, 1n, d));
  });

  it('keeps every value of a header name that came several times, in order', () => {
    expect(headerList({ a: [Buffer.from('1'), '2'], b: undefined })).toEqual([
      ['a', Buffer.from('1')],
      ['a', Buffer.from('2')],
      ['b', null],
    ]);
  });
});

describe('checkpoint notes', () => {
  const body = checkpointBody({ origin: 'lethe/consent.log/3', size: 42n, hash: Buffer.alloc(32, 7) });
  const vkey = verifierKey('lethe-checkpoints', publicKey);

  it('are C2SP checkpoints in a signed note that the verifier key opens', () => {
    expect(body).toBe(`lethe/consent.log/3\n42\n${Buffer.alloc(32, 7).toString('base64')}\n`);
    const note = signNote(body, 'lethe-checkpoints', privateKey);
    expect(note).toMatch(/^lethe\/consent\.log\/3\n42\n[A-Za-z0-9+/=]{44}\n\n— lethe-checkpoints [A-Za-z0-9+/=]{92}\n$/);
    expect(note).toBe(signNote(body, 'lethe-checkpoints', privateKey)); // deterministic: a retry writes the same note
    expect(parseCheckpoint(openNote(note, parseVerifierKey(vkey)))).toEqual({ origin: 'lethe/consent.log/3', size: 42n, hash: Buffer.alloc(32, 7) });
  });

  it('refuse a changed body, another key and a malformed verifier key', () => {
    const note = signNote(body, 'lethe-checkpoints', privateKey);
    expect(() => openNote(note.replace('\n42\n', '\n43\n'), parseVerifierKey(vkey))).toThrow('does not match');
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(() => openNote(note, parseVerifierKey(verifierKey('lethe-checkpoints', other)))).toThrow('does not match');
    expect(() => openNote(note, parseVerifierKey(verifierKey('someone-else', publicKey)))).toThrow('no signature by key someone-else');
    expect(() => parseVerifierKey(vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'))).toThrow('hash does not match');
    expect(() => parseCheckpoint('origin\n-1\nxx\n')).toThrow('not a checkpoint');
  });

  it('open with any of several keys, so checkpoints signed before a key was replaced still verify', () => {
    const old = generateKeyPairSync('ed25519');
    const note = signNote(body, 'lethe-checkpoints', old.privateKey);
    const both = [parseVerifierKey(vkey), parseVerifierKey(verifierKey('lethe-checkpoints', old.publicKey))];
    expect(openNote(note, both)).toBe(body);
    expect(() => openNote(note, both.slice(0, 1))).toThrow('does not match');
  });

  it('travel on consent.audit with their entries', () => {
    const value = auditRecordValue('note\n', entries(['a', 'b'], 5n));
    expect(parseAuditRecord(value)).toEqual({ note: 'note\n', entries: entries(['a', 'b'], 5n) });
    expect(() => parseAuditRecord(Buffer.from('{}'))).toThrow('not a lethe.log-checkpoint/v1 record');
  });
});

describe('verifyPartition', () => {
  const original = entries(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
  const checkpoints = checkpointsOf(original, [2, 5]);
  const relabel = (list: ChainEntry[]) => list.map((e, i) => ({ ...e, offset: BigInt(i) }));

  it('verifies the log it was made of, counting records past the last checkpoint', () => {
    expect(verifyPartition(checkpoints, original)).toEqual({ status: 'verified', checkpoints: 2, covered: '5', uncovered: 1 });
    expect(verifyPartition([], original)).toEqual({ status: 'no_checkpoint', uncovered: 6 });
  });

  it.each([
    ['altered', relabel([...original.slice(0, 3), { offset: 3n, digest: digest('changed') }, ...original.slice(4)]), '3'],
    ['missing', relabel([...original.slice(0, 3), ...original.slice(4)]), '3'],
    ['reordered', relabel([original[0], original[2], original[1], ...original.slice(3)]), '1'],
    ['inserted', relabel([...original.slice(0, 4), { offset: 0n, digest: digest('new') }, ...original.slice(4)]), '4'],
    ['truncated', original.slice(0, 4), '4'],
  ])('names a log %s at the original offset', (kind, tampered, offset) => {
    const verdict = verifyPartition(checkpoints, tampered);
    expect(verdict).toMatchObject({ status: 'diverged', divergence: { kind, offset } });
  });

  it('refuses checkpoints whose entries do not give their signed hash, or that disagree', () => {
    const forged = checkpoints.map((c, i) => (i === 1 ? { ...c, entries: entries(['r2', 'x', 'r4'], 2n) } : c));
    expect(verifyPartition(forged, original)).toMatchObject({ status: 'invalid_checkpoint', auditOffset: '1' });
    const overlapping = [...checkpoints, { ...checkpoints[0], auditOffset: '9', entries: entries(['r0', 'other']) }];
    expect(verifyPartition(overlapping, original)).toMatchObject({ status: 'invalid_checkpoint', auditOffset: '9' });
  });

  it('accepts a checkpoint written twice (a retry after a crash) and overlapping ones that agree', () => {
    const again = checkpointsOf(original, [3, 5]);
    expect(verifyPartition([...checkpoints, ...again, checkpoints[1]], original)).toMatchObject({ status: 'verified', checkpoints: 5 });
  });

  it('firstDivergence finds nothing in equal logs', () => {
    expect(firstDivergence(original, original)).toBeNull();
  });
});
