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
 * The id under which every downstream system handles one subject's erasure request: its ledger
 * key, the OpenDSR `subject_request_id` a processor quotes back, and the root of its
 * acknowledgement ids. Request ids are chosen by callers and checked at the API, but a log may
 * still hold one request id for two subjects (another producer, an older version), so the work
 * is keyed by (subject, request) and two subjects never share it (docs/adr/0008).
 */
export function erasureWorkId(subjectId: string, requestId: string): string {
  return `erasure-${deterministicUuid('erasure-work', subjectId, requestId)}`;
}

/**
 * The id under which every system handles a withdrawal, objection or opt-out (`causeEventId`).
 * Event ids are unique per subject; the subject is part of the id so that two subjects whose
 * producers chose the same event id still have two pieces of work.
 */
export function optOutWorkId(subjectId: string, causeEventId: string): string {
  return `optout-${deterministicUuid('optout-work', subjectId, causeEventId)}`;
}

/**
 * The one acknowledgement of a piece of work (`workId`, from erasureWorkId) by a system: the
 * worker's synchronous completion and a processor's signed callback must give the same id, so
 * either, or both, is one fact.
 */
export function erasureStepCompletedId(workId: string, system: string): string {
  return deterministicUuid('erasure-step-completed', workId, system);
}

/** A failure of one attempt (or the processor's own final answer, `attempt` 'processor-callback'). */
export function erasureStepFailedId(workId: string, system: string, attempt: string): string {
  return deterministicUuid('erasure-step-failed', workId, system, attempt);
}

/** The one acknowledgement of an opt-out's work (`workId`, from optOutWorkId) by a system. */
export function optOutStepCompletedId(workId: string, system: string): string {
  return deterministicUuid('optout-step-completed', workId, system);
}

/** A failure of one attempt at an opt-out (or the processor's own final answer). */
export function optOutStepFailedId(workId: string, system: string, attempt: string): string {
  return deterministicUuid('optout-step-failed', workId, system, attempt);
}

/** The completion of one subject's request, appended by the projector once: fixed by (subject, request). */
export function erasureCompletedId(subjectId: string, requestId: string): string {
  return deterministicUuid('erasure-completed', subjectId, requestId);
}

/**
 * The one KeyShredded of a subject, appended by the projector: fixed by the subject alone, since
 * a key is destroyed once whichever of their requests made it due.
 */
export function keyShreddedId(subjectId: string): string {
  return deterministicUuid('key-shredded', subjectId);
}

/**
 * The KeyShredded for an elapsed identity retention (docs/adr/0022): fixed by the subject and the
 * fact the retention ran from, so sweeps repeated or run by two projectors append one fact.
 */
export function retentionShredId(subjectId: string, fromEventId: string): string {
  return deterministicUuid('retention-shred', subjectId, fromEventId);
}

/**
 * The work id of a step carried out again by `lethe reapply` (`reapplyId`): a new id, so that a
 * system whose ledger says the original work is done (the ledger restored with the data) still
 * acts, and its acknowledgement is a new fact on the log (docs/adr/0019).
 */
export function reappliedWorkId(workId: string, reapplyId: string): string {
  return `reapply-${deterministicUuid('reapplied-work', workId, reapplyId)}`;
}

/** The event by which `lethe reapply` asks `system` to act again on one cause: the same for a repeated run of one reapply. */
export function stepReapplyRequestedId(reapplyId: string, system: string, subjectId: string, causeEventId: string): string {
  return deterministicUuid('step-reapply-requested', reapplyId, system, subjectId, causeEventId);
}
