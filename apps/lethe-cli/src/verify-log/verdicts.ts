import type { PartitionVerdict } from '@lethe/certificates';

/** Exit codes of `lethe verify-log` beyond the shared ones: one per finding, so scripts can tell them apart. */
export const VERIFY_EXIT = {
  invalid_checkpoint: 4,
  altered: 5,
  missing: 6,
  reordered: 7,
  inserted: 8,
  truncated: 9,
} as const;

export type Verdicts = [partition: number, verdict: PartitionVerdict][];

/** The exit code of the lowest partition that did not verify; 0 when all did. */
export function exitCodeOf(verdicts: Verdicts): number {
  for (const [, verdict] of verdicts) {
    if (verdict.status === 'invalid_checkpoint') return VERIFY_EXIT.invalid_checkpoint;
    if (verdict.status === 'diverged') return VERIFY_EXIT[verdict.divergence.kind];
  }
  return 0;
}

/** One line per partition; offsets, counts and digests only, never a record's contents. */
export function verdictLine(partition: number, verdict: PartitionVerdict, auditTopic: string): string {
  switch (verdict.status) {
    case 'verified':
      return `partition ${partition}: verified up to offset ${verdict.covered} against ${verdict.checkpoints} checkpoint(s)${verdict.uncovered > 0 ? `; ${verdict.uncovered} later record(s) not checkpointed yet` : ''}`;
    case 'no_checkpoint':
      return `partition ${partition}: no checkpoint yet (${verdict.uncovered} record(s) not checkpointed)`;
    case 'invalid_checkpoint':
      return `partition ${partition}: invalid checkpoint at ${auditTopic} offset ${verdict.auditOffset}: ${verdict.detail}`;
    case 'diverged':
      return `partition ${partition}: ${verdict.divergence.kind} at offset ${verdict.divergence.offset}: ${verdict.divergence.detail} (checkpoint of size ${verdict.checkpoint.size}, ${auditTopic} offset ${verdict.checkpoint.auditOffset})`;
  }
}
