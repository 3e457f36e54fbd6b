import { evidenceHash } from '@lethe/consent-domain';
import {
  ConsentEvent,
  erasureStepCompletedId,
  erasureStepFailedId,
  Jurisdiction,
  JURISDICTION_SYMBOLS,
  optOutStepCompletedId,
  optOutStepFailedId,
} from '@lethe/contracts';
import type { ProcessorCallback } from './callback-body';

/**
 * What a callback is about: an erasure request, as projected, or a withdrawal, objection or
 * opt-out the worker sent the processor (the consent.log event that caused it).
 */
export type CallbackSubject =
  | { kind: 'erasure'; workId: string; requestId: string; subjectId: string; jurisdiction: string | null }
  | { kind: 'opt-out'; workId: string; cause: ConsentEvent };

/** Tells a failure the processor reports apart from the worker's own failures of that attempt. */
const processorFailure = (attempt: number) => `processor-callback:${attempt}`;

/**
 * The fact a final callback records about the attempt that sent the request. A completion's id is
 * fixed by (work id, system), the one the erasure worker gives a synchronous completion, so a
 * repeated callback, or a callback after a synchronous answer, is one fact on the log, not two. A
 * failure is final for that attempt (asking again would get the same answer) and its id is fixed
 * by the attempt: an operator's retry sends the request again, and a second refusal is a new fact.
 */
export function callbackEvent(subject: CallbackSubject, system: string, callback: ProcessorCallback, attempt: number, now: number): ConsentEvent {
  const envelope = envelopeOf(subject, system, now);
  const completed = callback.status === 'completed';
  const evidence_hash = evidenceHash({
    system,
    workId: subject.workId,
    action: callback.action,
    counts: callback.counts,
    processorStatus: callback.status,
    receivedAt: new Date(now).toISOString(),
  });
  const failure = { system, retryable: false, attempt, reason: `the processor reported the request ${callback.status}: ${callback.reason}` };

  if (subject.kind === 'opt-out') {
    const { workId } = subject;
    return completed
      ? { ...envelope, event_id: optOutStepCompletedId(workId, system), payload: { type: 'OptOutStepCompleted', system, action: callback.action, counts: callback.counts, evidence_hash } }
      : { ...envelope, event_id: optOutStepFailedId(workId, system, processorFailure(attempt)), payload: { type: 'OptOutStepFailed', ...failure } };
  }
  const request_id = subject.requestId;
  return completed
    ? {
        ...envelope,
        event_id: erasureStepCompletedId(subject.workId, system),
        payload: { type: 'ErasureStepCompleted', request_id, system, action: callback.action, counts: callback.counts, evidence_hash, legal_hold: null, strategies: {} },
      }
    : { ...envelope, event_id: erasureStepFailedId(subject.workId, system, processorFailure(attempt)), payload: { type: 'ErasureStepFailed', request_id, ...failure } };
}

/** The envelope the worker would give the same acknowledgement, from the processor as actor. */
function envelopeOf(subject: CallbackSubject, system: string, now: number): Omit<ConsentEvent, 'event_id' | 'payload'> {
  const common = { occurred_at: now, recorded_at: now, source: 'SYSTEM' as const, actor: `processor:${system}`, policy_version: null, identities: null };
  if (subject.kind === 'opt-out') {
    const { cause } = subject;
    return { ...common, subject_id: cause.subject_id, jurisdiction: cause.jurisdiction, purposes: cause.purposes, correlation_id: cause.correlation_id, causation_id: cause.event_id };
  }
  const jurisdiction = (JURISDICTION_SYMBOLS as readonly unknown[]).includes(subject.jurisdiction) ? (subject.jurisdiction as Jurisdiction) : 'UNSPECIFIED';
  return { ...common, subject_id: subject.subjectId, jurisdiction, purposes: [], correlation_id: subject.requestId, causation_id: null };
}
