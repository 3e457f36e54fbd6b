import { evidenceHash } from '@lethe/consent-domain';
import { ConsentEvent, erasureStepCompletedId, erasureStepFailedId, Jurisdiction, JURISDICTION_SYMBOLS } from '@lethe/contracts';
import type { ProcessorCallback } from './callback-body';

/** The erasure request a callback is about, as projected. */
export interface ProjectedRequest {
  requestId: string;
  subjectId: string;
  jurisdiction: string | null;
}

/**
 * The fact a final callback records. Event ids are fixed by (request, system): the completion's
 * id is the one the erasure worker gives a synchronous completion, so a repeated callback, or a
 * callback after a synchronous answer, is one fact on the log, not two.
 */
export function callbackEvent(request: ProjectedRequest, system: string, callback: ProcessorCallback, now: number): ConsentEvent {
  if (callback.status === 'completed') {
    const evidence = { system, requestId: request.requestId, action: callback.action, counts: callback.counts, processorStatus: callback.status, receivedAt: new Date(now).toISOString() };
    return envelope(request, system, erasureStepCompletedId(request.requestId, system), now, {
      type: 'ErasureStepCompleted',
      request_id: request.requestId,
      system,
      action: callback.action,
      counts: callback.counts,
      evidence_hash: evidenceHash(evidence),
      legal_hold: null,
      strategies: {},
    });
  }
  // The processor has given up; the worker would not get another answer by retrying, so the
  // failure is final. An operator's retry sends the request again.
  return envelope(request, system, erasureStepFailedId(request.requestId, system, 'processor-callback'), now, {
    type: 'ErasureStepFailed',
    request_id: request.requestId,
    system,
    retryable: false,
    attempt: 1,
    reason: `the processor reported the request ${callback.status}: ${callback.reason}`,
  });
}

function envelope(request: ProjectedRequest, system: string, eventId: string, now: number, payload: ConsentEvent['payload']): ConsentEvent {
  return {
    event_id: eventId,
    subject_id: request.subjectId,
    occurred_at: now,
    recorded_at: now,
    source: 'SYSTEM',
    actor: `processor:${system}`,
    jurisdiction: (JURISDICTION_SYMBOLS as readonly unknown[]).includes(request.jurisdiction) ? (request.jurisdiction as Jurisdiction) : 'UNSPECIFIED',
    policy_version: null,
    purposes: [],
    correlation_id: request.requestId,
    causation_id: null,
    identities: null,
    payload,
  };
}
