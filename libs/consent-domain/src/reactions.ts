import type { ConsentEvent } from '@lethe/contracts';
import { isErasureComplete } from './queries';
import type { SubjectState } from './state';

export interface ReactionMetadata {
  /** Lethe's clock. */
  now: number;
  /** The component appending the reaction. */
  actor: string;
  /**
   * The event id of the completion of a subject's request: must be the same every time it is asked
   * for the same (subject, request), so a reaction computed twice (a batch folded again after a
   * crash) is one fact, and two subjects' requests under one id are two facts.
   */
  completionEventId: (subjectId: string, requestId: string) => string;
}

/**
 * What the log should say next, given a folded state: ErasureRequestCompleted for every request
 * that is requested, still open, and acknowledged by every system it fans out to. Progress is
 * derived from the facts, so completion is too; nobody declares it by hand.
 */
export function completionsDue(state: SubjectState, metadata: ReactionMetadata): ConsentEvent[] {
  return Object.values(state.erasureRequests)
    .filter((request) => request.status === 'open' && isErasureComplete(request))
    .sort((a, b) => a.requestId.localeCompare(b.requestId))
    .map((request) => ({
      event_id: metadata.completionEventId(state.subjectId, request.requestId),
      subject_id: state.subjectId,
      occurred_at: metadata.now,
      recorded_at: metadata.now,
      source: 'SYSTEM',
      actor: metadata.actor,
      jurisdiction: request.jurisdiction ?? 'UNSPECIFIED',
      policy_version: null,
      purposes: [...request.purposes],
      correlation_id: request.requestId,
      causation_id: request.eventId,
      identities: null,
      payload: { type: 'ErasureRequestCompleted', request_id: request.requestId },
    }));
}
