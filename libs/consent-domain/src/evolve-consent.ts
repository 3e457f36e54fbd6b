import type { ConsentEvent, ConsentEventPayloadOf } from '@lethe/contracts';
import { optOutDeadline } from './policies';
import {
  ALL_PURPOSES,
  type ConsentStatus,
  type ObjectionState,
  type OptOutState,
  type PurposeConsent,
  type SubjectState,
} from './state';

/**
 * How consent, objection and opt-out events change a subject. For consent, log order wins: the
 * later event sets the status, whatever its occurred_at says.
 */
export function onConsentGranted(state: SubjectState, event: ConsentEvent): SubjectState {
  // Empty purposes mean "all", and all purposes cannot be granted without naming them:
  // the fact is kept on the log but grants nothing.
  return setPurposes(state, event, event.purposes, 'granted');
}

export function onConsentWithdrawn(state: SubjectState, event: ConsentEvent): SubjectState {
  return setPurposes(state, event, purposesMeant(state, event), 'withdrawn');
}

/** An objection is recorded per purpose ('*' for all) and withdraws consent for those purposes. */
export function onObjectionRaised(
  state: SubjectState,
  event: ConsentEvent,
  objection: ConsentEventPayloadOf<'ObjectionRaised'>,
): SubjectState {
  const objectedTo = event.purposes.length > 0 ? event.purposes : [ALL_PURPOSES];
  const raised: ObjectionState = { at: event.occurred_at, reason: objection.reason, eventId: event.event_id };
  // The first objection to a purpose stands; raising it again neither moves nor replaces it.
  const objections = { ...entriesFor(objectedTo, raised), ...state.objections };
  return setPurposes({ ...state, objections }, event, purposesMeant(state, event), 'withdrawn');
}

/** Each kind opted out of, with the deadline by which every system must honour it. */
export function onOptOutRecorded(
  state: SubjectState,
  event: ConsentEvent,
  optOut: ConsentEventPayloadOf<'OptOutRecorded'>,
): SubjectState {
  const recorded: OptOutState = {
    at: event.occurred_at,
    source: event.source,
    dueAt: optOutDeadline(event.jurisdiction, event.recorded_at),
    eventId: event.event_id,
  };
  // The first opt-out of a kind starts the clock; a repeat must not push the deadline back.
  const optOuts = { ...entriesFor(optOut.kinds, recorded), ...state.optOuts };
  return { ...state, optOuts };
}

/** The event's purposes, or every purpose the subject has a status for when it names none. */
function purposesMeant(state: SubjectState, event: ConsentEvent): string[] {
  return event.purposes.length > 0 ? event.purposes : Object.keys(state.purposes);
}

function setPurposes(
  state: SubjectState,
  event: ConsentEvent,
  purposes: string[],
  status: ConsentStatus,
): SubjectState {
  const consent: PurposeConsent = {
    status,
    policyVersion: event.policy_version,
    at: event.occurred_at,
    eventId: event.event_id,
  };
  return { ...state, purposes: { ...state.purposes, ...entriesFor(purposes, consent) } };
}

/** One copy of `value` per key, as own properties even for keys like '__proto__'. */
function entriesFor<V extends object>(keys: readonly string[], value: V): Record<string, V> {
  return Object.fromEntries(keys.map((key) => [key, { ...value }]));
}
