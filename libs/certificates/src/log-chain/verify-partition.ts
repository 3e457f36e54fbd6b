import { chainLink, EMPTY_HEAD } from './chain';
import type { ChainEntry } from './audit-record';

/** A checkpoint whose signature was checked, with the entries its audit record carried. */
export interface SignedCheckpoint {
  size: bigint;
  hash: Buffer;
  /** Where it sits on consent.audit, to name it. */
  auditOffset: string;
  entries: ChainEntry[];
}

export type DivergenceKind = 'altered' | 'missing' | 'reordered' | 'inserted' | 'truncated';

export interface Divergence {
  kind: DivergenceKind;
  /** The original's offset where the log first differs. */
  offset: string;
  detail: string;
}

export type PartitionVerdict =
  | { status: 'verified'; checkpoints: number; covered: string; uncovered: number }
  | { status: 'no_checkpoint'; uncovered: number }
  | { status: 'invalid_checkpoint'; auditOffset: string; detail: string }
  | { status: 'diverged'; checkpoint: { size: string; auditOffset: string }; divergence: Divergence };

/**
 * Checks one partition of a log against the checkpoints of it: first that the checkpoints agree
 * with each other (their entries chain up to every signed hash), then that the log's own chain
 * reproduces every checkpoint. On the first one it does not, the expected and actual entries are
 * compared to say what happened, and at which of the original's offsets.
 */
export function verifyPartition(checkpoints: SignedCheckpoint[], actual: ChainEntry[]): PartitionVerdict {
  const sorted = [...checkpoints].sort((a, b) => (a.size < b.size ? -1 : a.size > b.size ? 1 : 0));
  if (sorted.length === 0) return { status: 'no_checkpoint', uncovered: actual.length };
  const merged = mergeEntries(sorted);
  if ('auditOffset' in merged) return { status: 'invalid_checkpoint', ...merged };
  const expected = merged.entries;
  const wrong = firstUnreproduced(sorted, expected);
  if (wrong) return { status: 'invalid_checkpoint', auditOffset: wrong.auditOffset, detail: `its entries do not chain up to its signed hash at size ${wrong.size}` };

  const failed = firstUnreproduced(sorted, actual);
  if (failed) {
    // All the expected entries, not only those below this checkpoint: telling a swap from an
    // alteration at its edge needs the record after it.
    const divergence = firstDivergence(expected, actual) ?? { kind: 'altered', offset: String(failed.size - 1n), detail: 'the chain differs below this checkpoint' };
    return { status: 'diverged', checkpoint: { size: failed.size.toString(), auditOffset: failed.auditOffset }, divergence };
  }
  const last = sorted[sorted.length - 1].size;
  return { status: 'verified', checkpoints: sorted.length, covered: last.toString(), uncovered: actual.filter((e) => e.offset >= last).length };
}

/** Every checkpoint's entries, one list by offset; two that disagree on an offset cannot both be true. */
function mergeEntries(checkpoints: SignedCheckpoint[]): { entries: ChainEntry[] } | { auditOffset: string; detail: string } {
  const byOffset = new Map<bigint, string>();
  for (const checkpoint of checkpoints) {
    for (const entry of checkpoint.entries) {
      const known = byOffset.get(entry.offset);
      if (known !== undefined && known !== entry.digest) return { auditOffset: checkpoint.auditOffset, detail: `it disagrees with an earlier checkpoint about offset ${entry.offset}` };
      byOffset.set(entry.offset, entry.digest);
    }
  }
  const entries = [...byOffset].map(([offset, digest]) => ({ offset, digest })).sort((a, b) => (a.offset < b.offset ? -1 : 1));
  return { entries };
}

/** The first checkpoint (by size) whose hash the chain over `entries` does not give. */
function firstUnreproduced(sorted: SignedCheckpoint[], entries: ChainEntry[]): SignedCheckpoint | undefined {
  let head: Buffer = EMPTY_HEAD;
  let i = 0;
  for (const checkpoint of sorted) {
    while (i < entries.length && entries[i].offset < checkpoint.size) {
      head = chainLink(head, entries[i].offset, Buffer.from(entries[i].digest, 'base64'));
      i += 1;
    }
    // A checkpoint ends at the record it chained last: a log without that record cannot give it.
    const reaches = i > 0 && entries[i - 1].offset === checkpoint.size - 1n;
    if (!reaches || !head.equals(checkpoint.hash)) return checkpoint;
  }
  return undefined;
}

/**
 * Where `actual` first departs from `expected` (both in log order), and how: a record of its own
 * changed (altered), one gone (missing: the next one took its place), two exchanged (reordered),
 * one added (inserted), or the log ending before the checkpoint does (truncated).
 */
export function firstDivergence(expected: ChainEntry[], actual: ChainEntry[]): Divergence | null {
  const same = (a: ChainEntry | undefined, e: ChainEntry | undefined) => a !== undefined && e !== undefined && a.digest === e.digest;
  for (let i = 0; i < expected.length; i += 1) {
    const e = expected[i];
    const a = actual[i];
    if (a === undefined) {
      const end = actual.length === 0 ? '0' : String(actual[actual.length - 1].offset + 1n);
      return { kind: 'truncated', offset: e.offset.toString(), detail: `the log ends at offset ${end}; the checkpoint covers ${expected.length - i} record(s) more` };
    }
    if (same(a, e) && a.offset === e.offset) continue;
    const next = expected[i + 1];
    if (same(a, next) && same(actual[i + 1], e)) return { kind: 'reordered', offset: e.offset.toString(), detail: `the records at offsets ${e.offset} and ${next.offset} are exchanged` };
    if (same(a, next)) return { kind: 'missing', offset: e.offset.toString(), detail: `the record at offset ${e.offset} is gone; the one after it takes its place` };
    if (same(actual[i + 1], e)) return { kind: 'inserted', offset: e.offset.toString(), detail: `a record not in the checkpoint stands at offset ${a.offset}` };
    if (same(a, e)) return { kind: 'altered', offset: e.offset.toString(), detail: `the record stands at offset ${a.offset} instead` };
    return { kind: 'altered', offset: e.offset.toString(), detail: `the record at offset ${e.offset} differs (key, value or headers)` };
  }
  return null;
}
