import type { ConsentEvent, ConsentEventPayloadOf } from '@lethe/contracts';
import type { StepState, StepStatus } from './state';

/**
 * The life of one downstream system's erasure step, as a table of legal moves rather than
 * flags. A retry may fail again or succeed; an operator may send a failed step back to pending. Completion is final: a late failure (a slow retry
 * of an attempt that already succeeded) must not downgrade it, and a repeated ack must not
 * overwrite the evidence of the first.
 */
const LEGAL_STEP_MOVES: Record<StepStatus, readonly StepStatus[]> = {
  pending: ['completed', 'failed'],
  failed: ['completed', 'failed', 'pending'],
  completed: [],
};

export function canStepMove(from: StepStatus, to: StepStatus): boolean {
  return LEGAL_STEP_MOVES[from].includes(to);
}

export const pendingStep = (): StepState => ({ status: 'pending', at: null, eventId: null });

/** The step after a system acknowledged it; unchanged when the move is not legal. */
export function completeStep(
  step: StepState,
  event: ConsentEvent,
  ack: ConsentEventPayloadOf<'ErasureStepCompleted'>,
): StepState {
  if (!canStepMove(step.status, 'completed')) return step;
  return {
    status: 'completed',
    action: ack.action,
    counts: { ...ack.counts },
    strategies: { ...ack.strategies },
    evidenceHash: ack.evidence_hash,
    legalHold: ack.legal_hold,
    at: event.occurred_at,
    eventId: event.event_id,
  };
}

/** The step after an operator asked for another try; unchanged when the move is not legal. */
export function retryStep(step: StepState): StepState {
  return canStepMove(step.status, 'pending') ? pendingStep() : step;
}

/** The step after a system reported a failure; unchanged when the move is not legal. */
export function failStep(
  step: StepState,
  event: ConsentEvent,
  failure: ConsentEventPayloadOf<'ErasureStepFailed'>,
): StepState {
  if (!canStepMove(step.status, 'failed')) return step;
  return {
    status: 'failed',
    retryable: failure.retryable,
    attempt: failure.attempt,
    reason: failure.reason,
    at: event.occurred_at,
    eventId: event.event_id,
  };
}
