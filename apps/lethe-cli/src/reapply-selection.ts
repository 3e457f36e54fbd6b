import { ConsentEvent, ConsentEventPayload } from '@lethe/contracts';
import { reactionInForce, SubjectState } from '@lethe/consent-domain';

/** The causes a reapply counts by: what the system acted on. */
export type CauseKind = 'erasure' | 'withdrawal' | 'objection' | 'opt-out';

const CAUSES: Partial<Record<ConsentEventPayload['type'], CauseKind>> = {
  ErasureRequested: 'erasure',
  ConsentWithdrawn: 'withdrawal',
  ObjectionRaised: 'objection',
  OptOutRecorded: 'opt-out',
};

/** The record types a reapply reads; the rest of the log is skipped without decoding. */
export const REAPPLY_TYPES: readonly string[] = [...Object.keys(CAUSES), 'ErasureStepCompleted', 'OptOutStepCompleted', 'StepReapplyRequested'];

export interface Cause {
  kind: CauseKind;
  event: ConsentEvent;
  /** The record as it is on consent.log, which the reapply request carries to the worker. */
  record: Buffer;
}

/**
 * Which of `system`'s steps a backup taken at `since` may have undone: every erasure request and
 * opt-out whose step the system acknowledged at or after `since` (the backup was taken before
 * the system acted). Fed consent.log in order; pure, no I/O. A step acknowledged after an earlier
 * reapply counts too, so a second restore is covered.
 */
export class ReapplySelection {
  private readonly causes = new Map<string, Cause>();
  /** A reapply request's event id → the key of the cause it carried (its causation_id). */
  private readonly reapplies = new Map<string, string>();
  private readonly acknowledged = new Set<string>();

  /** `reactions`: the system's `onOptOut` (purpose or opt-out kind → action), so only causes that can reach it are kept. */
  constructor(
    private readonly system: string,
    private readonly since: number,
    private readonly reactions: Record<string, unknown>,
  ) {}

  add(event: ConsentEvent, record: Buffer): void {
    const payload = event.payload;
    const kind = CAUSES[payload.type];
    if (kind) {
      if (!this.reaches(event)) return;
      const key = payload.type === 'ErasureRequested' ? requestKey(event.subject_id, payload.request_id) : eventKey(event.subject_id, event.event_id);
      if (!this.causes.has(key)) this.causes.set(key, { kind, event, record });
      return;
    }
    if (payload.type === 'StepReapplyRequested') {
      if (payload.system === this.system && event.causation_id) this.reapplies.set(event.event_id, eventKey(event.subject_id, event.causation_id));
      return;
    }
    if ((payload.type !== 'ErasureStepCompleted' && payload.type !== 'OptOutStepCompleted') || payload.system !== this.system || event.occurred_at < this.since) return;
    if (payload.type === 'ErasureStepCompleted') this.acknowledged.add(requestKey(event.subject_id, payload.request_id));
    else if (event.causation_id) this.acknowledged.add(this.reapplies.get(event.causation_id) ?? eventKey(event.subject_id, event.causation_id));
  }

  /** Whether the system may have acted on the cause at all: the rest is not kept in memory. */
  private reaches({ payload, purposes }: ConsentEvent): boolean {
    if (payload.type === 'ErasureRequested') return payload.all_systems || payload.systems.includes(this.system);
    const mapped = (cause: string) => Object.hasOwn(this.reactions, cause);
    if (payload.type === 'OptOutRecorded') return payload.kinds.some(mapped);
    return purposes.length === 0 ? Object.keys(this.reactions).length > 0 : purposes.some(mapped);
  }

  /** The causes of the steps acknowledged since the instant, in log order of their causes. */
  selected(): Cause[] {
    return [...this.causes].filter(([key]) => this.acknowledged.has(key)).map(([, cause]) => cause);
  }
}

const requestKey = (subjectId: string, requestId: string) => `${subjectId}\u0000request\u0000${requestId}`;
const eventKey = (subjectId: string, eventId: string) => `${subjectId}\u0000event\u0000${eventId}`;

/**
 * Whether a cause still stands as the subject's state now says (ADR 0013's rule, the worker's):
 * erasures, objections and opt-outs always do; a withdrawal only while it is what set one of its
 * purposes (none named: any purpose), so a purpose granted again since is not acted on again.
 */
export function stillInForce(cause: Cause, state: SubjectState | null): boolean {
  if (cause.kind !== 'withdrawal' || !state) return true;
  const purposes = cause.event.purposes.length > 0 ? cause.event.purposes : Object.keys(state.purposes);
  return purposes.some((purpose) => reactionInForce(state, cause.event, purpose));
}

export interface CauseCounts {
  subjects: number;
  steps: number;
}

/** Subjects and steps per kind of cause, kinds always in the same order: what a dry run shows, never who. */
export function countByKind(causes: Cause[]): Partial<Record<CauseKind, CauseCounts>> {
  const counts: Partial<Record<CauseKind, CauseCounts>> = {};
  for (const kind of Object.values(CAUSES)) {
    const of = causes.filter((cause) => cause.kind === kind);
    if (of.length > 0) counts[kind] = { subjects: new Set(of.map((cause) => cause.event.subject_id)).size, steps: of.length };
  }
  return counts;
}
