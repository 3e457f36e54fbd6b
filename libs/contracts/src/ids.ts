import { createHash } from 'node:crypto';

/**
 * A UUID (version 5 layout, SHA-256 based) that is the same every time for the same parts. Used
 * where a fact may be written more than once (a retried request, a reaction computed again after
 * a crash): the same id makes the repeats one fact, which the fold applies once.
 */
export function deterministicUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The one acknowledgement of an erasure request by a system: the worker's synchronous completion
 * and a processor's signed callback must give the same id, so either, or both, is one fact.
 */
export function erasureStepCompletedId(requestId: string, system: string): string {
  return deterministicUuid('erasure-step-completed', requestId, system);
}

/** A failure of one attempt (or the processor's own final answer, `attempt` 'processor-callback'). */
export function erasureStepFailedId(requestId: string, system: string, attempt: string): string {
  return deterministicUuid('erasure-step-failed', requestId, system, attempt);
}

/**
 * The one acknowledgement of a withdrawal, objection or opt-out (`causeEventId`) by a system: the
 * worker's synchronous completion and a processor's signed callback give the same id.
 */
export function optOutStepCompletedId(causeEventId: string, system: string): string {
  return deterministicUuid('optout-step-completed', causeEventId, system);
}

/** A failure of one attempt at an opt-out (or the processor's own final answer). */
export function optOutStepFailedId(causeEventId: string, system: string, attempt: string): string {
  return deterministicUuid('optout-step-failed', causeEventId, system, attempt);
}

/**
 * The request id under which a system handles a withdrawal, objection or opt-out (`causeEventId`):
 * what a third-party processor receives as `subject_request_id` and quotes in its callback.
 */
export function optOutRequestId(causeEventId: string): string {
  return `optout-${causeEventId}`;
}
