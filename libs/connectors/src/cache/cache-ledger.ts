import type Redis from 'ioredis';
import type { ErasureOutcome } from '../connector';

/** The outcome as stored: everything but `alreadyDone`, which depends on who reads it. */
export type RecordedOutcome = Omit<ErasureOutcome, 'alreadyDone'>;

/**
 * How long a recorded outcome is kept: 400 days, longer than any redelivery or retry window of
 * the erasure worker. Forever would be simpler but grows a memory-bound cache without end. If a
 * request arrives after its entry expired (or was evicted by a maxmemory policy), it is carried
 * out again: the keys are already gone, so it deletes nothing and reports zero counts with
 * `alreadyDone` false. The erasure stays correct; only the report differs.
 */
export const LEDGER_TTL_SECONDS = 400 * 24 * 60 * 60;

/** Keyed by work id (unique across subjects); entries of older versions, keyed by request id, match none. */
export function ledgerKey(system: string, workId: string): string {
  return `lethe:erasure-ledger:${system}:${workId}`;
}

/**
 * Which requests this cache has carried out, kept in the cache itself. An entry holds counts by
 * template text and nothing about the subject; the work id is an opaque id.
 */
export class CacheLedger {
  constructor(
    private readonly redis: Redis,
    private readonly system: string,
  ) {}

  async find(workId: string): Promise<RecordedOutcome | null> {
    const stored = await this.redis.get(ledgerKey(this.system, workId));
    return stored === null ? null : (JSON.parse(stored) as RecordedOutcome);
  }

  /**
   * Records the outcome unless another run of the same request recorded first (they raced).
   * Returns false in that case: the earlier outcome stands, and the caller reports it.
   */
  async record(workId: string, outcome: RecordedOutcome): Promise<boolean> {
    const written = await this.redis.set(ledgerKey(this.system, workId), JSON.stringify(outcome), 'EX', LEDGER_TTL_SECONDS, 'NX');
    return written === 'OK';
  }
}
