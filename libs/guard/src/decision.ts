import type { Decision } from '@lethe/contracts';
import type { ResolvedOptions } from './options';
import type { Lookup } from './subject-store';

export type DecisionReason = Decision | 'not_ready' | 'stale';

export interface ConsentDecision {
  allowed: boolean;
  /** The decision used, or why none was (not_ready, stale). */
  reason: DecisionReason;
  /** The subject's state version the answer used (null: none known). */
  version: number | null;
  /** True when the guard has not confirmed it is caught up for maxStalenessMs. */
  stale: boolean;
}

export type AnswerPolicy = Pick<ResolvedOptions, 'beforeReady' | 'whenNoRecord' | 'whenStale'>;

/**
 * The answer to `allowed`, from what memory holds and how current it is. In order: not caught up
 * yet (with beforeReady 'deny'), stale (with whenStale 'deny'), then the decision itself, where
 * only 'granted' allows, and 'no_record' as whenNoRecord says.
 */
export function answer(found: Lookup, policy: AnswerPolicy, ready: boolean, stale: boolean): ConsentDecision {
  if (!ready && policy.beforeReady === 'deny') return { allowed: false, reason: 'not_ready', version: null, stale };
  if (stale && policy.whenStale === 'deny') return { allowed: false, reason: 'stale', version: null, stale };
  const allowed = found.decision === 'granted' || (found.decision === 'no_record' && policy.whenNoRecord === 'allow');
  return { allowed, reason: found.decision, version: found.version, stale };
}
