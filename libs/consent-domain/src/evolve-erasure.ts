import type { ConsentEvent, ConsentEventPayloadOf } from '@lethe/contracts';
import { completeStep, failStep, pendingStep, retryStep } from './erasure-steps';
import { erasureDeadline } from './policies';
import { entryOf, type ErasureRequestState, type StepState, type SubjectState } from './state';

/**
 * How erasure events change a subject's requests. Events of one request may be read in any
 * order (acks can overtake their request across partitions or on replay), so each handler
 * starts from whatever is known of the request, a placeholder if nothing is.
 */
export function onErasureRequested(
  state: SubjectState,
  event: ConsentEvent,
  request: ConsentEventPayloadOf<'ErasureRequested'>,
): SubjectState {
  const known = requestOrPlaceholder(state, request.request_id);
  // The first request under an id is the one whose deadline runs; a repeat changes nothing.
  if (known.requested) return state;

  // Steps already acknowledged stay as they are; the others start pending. (Built from entries,
  // not by assignment, so a system named '__proto__' is stored like any other.)
  const notYetSeen = request.systems.map((system): [string, StepState] => [system, pendingStep()]);
  const systems: Record<string, StepState> = { ...Object.fromEntries(notYetSeen), ...known.systems };
  return withRequest(state, {
    ...known,
    requested: true,
    scope: request.scope,
    purposes: [...event.purposes],
    jurisdiction: event.jurisdiction,
    keepTransactionHistory: request.keep_transaction_history,
    requestedAt: event.recorded_at,
    ...erasureDeadline(event.jurisdiction, event.recorded_at),
    systems,
    eventId: event.event_id,
  });
}

export function onErasureStepCompleted(
  state: SubjectState,
  event: ConsentEvent,
  ack: ConsentEventPayloadOf<'ErasureStepCompleted'>,
): SubjectState {
  return withStep(state, ack.request_id, ack.system, (step) => completeStep(step, event, ack));
}

export function onErasureStepFailed(
  state: SubjectState,
  event: ConsentEvent,
  failure: ConsentEventPayloadOf<'ErasureStepFailed'>,
): SubjectState {
  return withStep(state, failure.request_id, failure.system, (step) => failStep(step, event, failure));
}

export function onErasureRequestCompleted(
  state: SubjectState,
  event: ConsentEvent,
  completion: ConsentEventPayloadOf<'ErasureRequestCompleted'>,
): SubjectState {
  const known = requestOrPlaceholder(state, completion.request_id);
  if (known.status === 'completed') return state;
  return withRequest(state, { ...known, status: 'completed', completedAt: event.recorded_at });
}

/** The deadline moves to the latest the law allows, once; a request without that right is unchanged. */
export function onErasureDeadlineExtended(
  state: SubjectState,
  event: ConsentEvent,
  extension: ConsentEventPayloadOf<'ErasureDeadlineExtended'>,
): SubjectState {
  const known = entryOf(state.erasureRequests, extension.request_id);
  if (!known?.requested || known.extension || known.extendableTo === null) return state;
  return withRequest(state, {
    ...known,
    dueAt: known.extendableTo,
    extension: { reason: extension.reason, at: event.recorded_at, eventId: event.event_id },
  });
}

/** A failed step goes back to pending, so its system tries again; any other step is unchanged. */
export function onErasureStepRetryRequested(
  state: SubjectState,
  _event: ConsentEvent,
  retry: ConsentEventPayloadOf<'ErasureStepRetryRequested'>,
): SubjectState {
  const known = entryOf(state.erasureRequests, retry.request_id);
  if (!known || entryOf(known.systems, retry.system)?.status !== 'failed') return state;
  return withStep(state, retry.request_id, retry.system, retryStep);
}

function withStep(
  state: SubjectState,
  requestId: string,
  system: string,
  move: (step: StepState) => StepState,
): SubjectState {
  const known = requestOrPlaceholder(state, requestId);
  const step = entryOf(known.systems, system) ?? pendingStep();
  return withRequest(state, { ...known, systems: { ...known.systems, [system]: move(step) } });
}

function withRequest(state: SubjectState, request: ErasureRequestState): SubjectState {
  return { ...state, erasureRequests: { ...state.erasureRequests, [request.requestId]: request } };
}

function requestOrPlaceholder(state: SubjectState, requestId: string): ErasureRequestState {
  return (
    entryOf(state.erasureRequests, requestId) ?? {
      requestId,
      requested: false,
      scope: null,
      purposes: [],
      jurisdiction: null,
      keepTransactionHistory: null,
      requestedAt: null,
      dueAt: null,
      extendableTo: null,
      extension: null,
      systems: {},
      status: 'open',
      completedAt: null,
      eventId: null,
    }
  );
}
