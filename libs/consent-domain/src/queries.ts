import type { ConsentEvent } from '@lethe/contracts';
import { ALL_PURPOSES, entryOf, type ErasureRequestState, type SubjectState } from './state';

/** Questions `decide` and the services ask of a folded state. */

/** Objections cannot be lifted by an event yet, so any recorded one is active. */
export function hasActiveObjection(state: SubjectState, purpose: string): boolean {
  return entryOf(state.objections, purpose) !== undefined || entryOf(state.objections, ALL_PURPOSES) !== undefined;
}

/**
 * Requests not yet completed, including ones known only from acknowledgements: an ack proves
 * the request exists even if its own event has not been read yet.
 */
export function openErasureRequests(state: SubjectState): ErasureRequestState[] {
  return Object.values(state.erasureRequests).filter((request) => request.status === 'open');
}

/**
 * True once the request itself was seen and every system it fans out to has acknowledged.
 * A request naming no systems is complete as soon as it is requested.
 */
export function isErasureComplete(request: ErasureRequestState): boolean {
  return request.requested && Object.values(request.systems).every((step) => step.status === 'completed');
}

/**
 * Whether a withdrawal, objection or opt-out (`event`) still stands for `cause` (a purpose or an
 * opt-out kind), given the subject's state folded so far: a system catching up on history acts
 * only on what is still in force. A state that has not applied the event yet knows nothing after
 * it, so the event stands: the answer errs on the side of stopping. Objections and opt-outs
 * cannot be lifted by an event. A withdrawal stands while it is what set the purpose's status: a
 * later grant supersedes it, and a later withdrawal or objection stands in its place (and is
 * acted on itself), so history is not acted on twice.
 */
export function reactionInForce(state: SubjectState | null, event: ConsentEvent, cause: string): boolean {
  if (!state || !state.appliedEventIds.includes(event.event_id)) return true;
  if (event.payload.type !== 'ConsentWithdrawn') return true;
  return entryOf(state.purposes, cause)?.eventId === event.event_id;
}
