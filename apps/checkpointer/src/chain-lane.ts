import { KeyObject } from 'node:crypto';
import { auditRecordValue, chainLink, ChainEntry, checkpointBody, originOf, signNote } from '@lethe/certificates';
import type { StoredHead } from './chain-store';

/** The name the checkpoint key signs under; part of its verifier key. */
export const CHECKPOINT_KEY_NAME = 'lethe-checkpoints';

export interface PreparedCheckpoint {
  size: bigint;
  hash: Buffer;
  note: string;
  /** The consent.audit record: the note and the entries it chains. */
  value: Buffer;
  count: number;
}

/**
 * One consent.log partition's chain as this member holds it: the head stored in PostgreSQL, and
 * the records read since, not yet checkpointed (kept in memory only: after a crash they are read
 * again from the stored head).
 */
export class ChainLane {
  readonly pending: ChainEntry[] = [];
  lastWritten: number;

  constructor(
    readonly topic: string,
    readonly partition: number,
    public stored: StoredHead,
    now: number,
  ) {
    this.lastWritten = now;
  }

  /** The offset the next record must have. */
  get expected(): bigint {
    return this.pending.length > 0 ? this.pending[this.pending.length - 1].offset + 1n : this.stored.next;
  }

  /** The checkpoint of the first `max` pending records: pure, so a retry prepares the same bytes. */
  prepare(max: number, key: KeyObject): PreparedCheckpoint | undefined {
    const entries = this.pending.slice(0, max);
    if (entries.length === 0) return undefined;
    let hash = this.stored.head;
    for (const entry of entries) hash = chainLink(hash, entry.offset, Buffer.from(entry.digest, 'base64'));
    const size = entries[entries.length - 1].offset + 1n;
    const note = signNote(checkpointBody({ origin: originOf(this.topic, this.partition), size, hash }), CHECKPOINT_KEY_NAME, key);
    return { size, hash, note, value: auditRecordValue(note, entries), count: entries.length };
  }

  /** After the checkpoint is on consent.audit and in PostgreSQL. */
  advance(checkpoint: PreparedCheckpoint, now: number): void {
    this.pending.splice(0, checkpoint.count);
    this.stored = { next: checkpoint.size, head: checkpoint.hash };
    this.lastWritten = now;
  }
}
