import type { ConsentEvent } from '@lethe/contracts';
import { shredsKeyOnCompletion } from './policies';
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
  /** The event id of a subject's KeyShredded: the same every time for the same subject. */
  shredEventId: (subjectId: string) => string;
  /**
   * The event id of a KeyShredded for an elapsed identity retention: the same every time for the
   * same (subject, fact it ran from), so two sweeps append one fact, and a retention that starts
   * again after a void shred gets a shred of its own.
   */
  retentionShredEventId: (subjectId: string, fromEventId: string) => string;
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

/**
 * KeyShredded, once an erasure of all the subject's data has completed (shredsKeyOnCompletion)
 * and their key is not shredded yet: the durable intent, appended before any key is destroyed.
 * The earliest such request is named, so a reaction computed again names the same one.
 */
export function shredsDue(state: SubjectState, metadata: ReactionMetadata): ConsentEvent[] {
  if (state.keyShredded) return [];
  const [cause] = Object.values(state.erasureRequests)
    .filter(shredsKeyOnCompletion)
    .sort((a, b) => (a.completedAt ?? 0) - (b.completedAt ?? 0) || a.requestId.localeCompare(b.requestId));
  if (!cause) return [];
  return [
    {
      event_id: metadata.shredEventId(state.subjectId),
      subject_id: state.subjectId,
      occurred_at: metadata.now,
      recorded_at: metadata.now,
      source: 'SYSTEM',
      actor: metadata.actor,
      jurisdiction: cause.jurisdiction ?? 'UNSPECIFIED',
      policy_version: null,
      purposes: [],
      correlation_id: cause.requestId,
      causation_id: cause.eventId,
      identities: null,
      payload: { type: 'KeyShredded', request_id: cause.requestId, cause: 'ERASURE_COMPLETED' },
    },
  ];
}

/**
 * KeyShredded, once the subject's identity retention (docs/adr/0022) has ended by `metadata.now`
 * and their key is not shredded yet. The projector asks this of the states it folds and, as time
 * passes, of the states its sweep finds due; the fold checks again that the retention it names
 * still stands when the shred is read back.
 */
export function retentionShredsDue(state: SubjectState, metadata: ReactionMetadata): ConsentEvent[] {
  const retention = state.identityRetention;
  if (state.keyShredded || !retention || retention.until > metadata.now) return [];
  return [
    {
      event_id: metadata.retentionShredEventId(state.subjectId, retention.fromEventId),
      subject_id: state.subjectId,
      occurred_at: metadata.now,
      recorded_at: metadata.now,
      source: 'SYSTEM',
      actor: metadata.actor,
      jurisdiction: retention.jurisdiction,
      policy_version: null,
      purposes: [],
      correlation_id: null,
      causation_id: retention.fromEventId,
      identities: null,
      payload: { type: 'KeyShredded', request_id: null, cause: 'RETENTION_ELAPSED' },
    },
  ];
}
