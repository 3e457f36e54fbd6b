import { ConsentEvent, erasureWorkId, optOutWorkId, reappliedWorkId } from '@lethe/contracts';
import type { ReactionAction } from '@lethe/connectors';

/**
 * What one consent.log event asks of one downstream system. `workId` is the id the system handles
 * it under (ledgers, outstanding steps, a processor's subject_request_id): unique across subjects.
 */
export type Work = (
  | { kind: 'erasure'; workId: string; requestId: string }
  | { kind: 'opt-out'; workId: string; action: ReactionAction; cause: string }
) & {
  /** Set when an operator's `lethe reapply` asked for the work again: that event, the acknowledgement's cause. */
  reapplyEventId?: string;
};

export interface Participant {
  name: string;
  /** The connector's type (sql, cache, kafka, http): a third-party processor is not sent reapplies. */
  type?: string;
  /** Purpose or opt-out kind → action, from the systems file's `onOptOut`. */
  reactions: Record<string, ReactionAction>;
}

/** The record types a participant may act on, so the rest is skipped without decoding. */
export function typesOfInterest(participant: Participant): string[] {
  const reacts = Object.keys(participant.reactions).length > 0;
  return ['ErasureRequested', 'ErasureStepRetryRequested', 'StepReapplyRequested', ...(reacts ? ['ConsentWithdrawn', 'ObjectionRaised', 'OptOutRecorded'] : [])];
}

/** The strongest action wins when one event matches several entries. */
const STRENGTH: Record<ReactionAction, number> = { suppress: 1, anonymize: 2, delete: 3 };

/**
 * The work `event` gives `participant`, or null when it gives none. An erasure request names the
 * systems that must act (all of them, present and future, when the caller named none); a withdrawal, objection or opt-out reaches the systems whose `onOptOut`
 * maps one of its purposes or kinds to an action, among the causes still `inForce` (a purpose
 * granted again since is not acted on when a system catches up on history). An objection to all
 * processing (no purposes) matches every purpose the system maps.
 */
export function workFor(event: ConsentEvent, participant: Participant, inForce: (cause: string) => boolean = () => true): Work | null {
  const payload = event.payload;
  if (payload.type === 'ErasureRequested') {
    // A request that named no systems reaches every system, also one declared after it was made.
    if (!payload.all_systems && !payload.systems.includes(participant.name)) return null;
    return { kind: 'erasure', workId: erasureWorkId(event.subject_id, payload.request_id), requestId: payload.request_id };
  }
  const causes = causesOf(event).filter((cause) => Object.hasOwn(participant.reactions, cause) && inForce(cause));
  if (causes.length === 0) return null;
  const strongest = causes.reduce((best, cause) => (STRENGTH[participant.reactions[cause]] > STRENGTH[participant.reactions[best]] ? cause : best));
  return { kind: 'opt-out', workId: optOutWorkId(event.subject_id, event.event_id), action: participant.reactions[strongest], cause: strongest };

  function causesOf({ payload, purposes }: ConsentEvent): string[] {
    switch (payload.type) {
      case 'ConsentWithdrawn':
        // None named withdraws every purpose (as the fold reads it): every purpose the system maps.
        return purposes.length > 0 ? [...purposes] : Object.keys(participant.reactions).filter((key) => key === key.toLowerCase());
      case 'ObjectionRaised':
        return purposes.length > 0 ? [...purposes] : Object.keys(participant.reactions).filter((key) => key === key.toLowerCase());
      case 'OptOutRecorded':
        return [...payload.kinds];
      default:
        return [];
    }
  }
}

/**
 * The work again, as `lethe reapply` asks for it (`request`, a StepReapplyRequested event): under a
 * new work id, so a ledger restored with the data does not answer "done", and with a new
 * acknowledgement whose cause is the request (docs/adr/0019).
 */
export function reapplied(work: Work, request: ConsentEvent & { payload: { type: 'StepReapplyRequested' } }): Work {
  return { ...work, workId: reappliedWorkId(work.workId, request.payload.reapply_id), reapplyEventId: request.event_id };
}
