import type { ConsentEvent, ConsentEventPayload, OptOutKind } from '@lethe/contracts';
import type { CommandMetadata } from '../commands';

/** Builders for specs: a valid event or metadata with only the fields a spec cares about. */
export const SUBJECT = 'subj-7f3a';
/** Monday 6 January 2025, 09:00 UTC. */
export const T0 = Date.UTC(2025, 0, 6, 9);
export const MINUTE = 60_000;

export function anEvent(payload: ConsentEventPayload, overrides: Partial<ConsentEvent> = {}): ConsentEvent {
  return {
    event_id: 'evt-1',
    subject_id: SUBJECT,
    occurred_at: T0,
    recorded_at: T0,
    source: 'API',
    actor: 'checkout-service',
    jurisdiction: 'GDPR',
    policy_version: null,
    purposes: [],
    correlation_id: null,
    causation_id: null,
    identities: null,
    payload,
    ...overrides,
  };
}

type Fields = Partial<ConsentEvent>;

export const granted = (eventId: string, purposes: string[], fields: Fields = {}) =>
  anEvent({ type: 'ConsentGranted' }, { event_id: eventId, purposes, policy_version: 'privacy-v3', ...fields });

export const withdrawn = (eventId: string, purposes: string[], fields: Fields = {}) =>
  anEvent({ type: 'ConsentWithdrawn' }, { event_id: eventId, purposes, ...fields });

export const objected = (eventId: string, purposes: string[], fields: Fields = {}) =>
  anEvent({ type: 'ObjectionRaised', reason: 'direct marketing' }, { event_id: eventId, purposes, ...fields });

export const optedOut = (eventId: string, kinds: OptOutKind[], fields: Fields = {}) =>
  anEvent({ type: 'OptOutRecorded', kinds }, { event_id: eventId, ...fields });

export const erasureRequested = (eventId: string, requestId: string, systems: string[], fields: Fields = {}) =>
  anEvent(
    { type: 'ErasureRequested', request_id: requestId, scope: 'ALL', keep_transaction_history: false, systems, all_systems: false },
    { event_id: eventId, ...fields },
  );

export const stepCompleted = (eventId: string, requestId: string, system: string, fields: Fields = {}) =>
  anEvent(
    {
      type: 'ErasureStepCompleted',
      request_id: requestId,
      system,
      action: 'delete',
      counts: { users: 1 },
      evidence_hash: `sha256-${system}`,
      legal_hold: null,
      strategies: {},
    },
    { event_id: eventId, source: 'SYSTEM', actor: `lethe.erasure.${system}`, ...fields },
  );

export const stepFailed = (eventId: string, requestId: string, system: string, fields: Fields = {}) =>
  anEvent(
    { type: 'ErasureStepFailed', request_id: requestId, system, retryable: true, attempt: 1, reason: 'timeout' },
    { event_id: eventId, source: 'SYSTEM', actor: `lethe.erasure.${system}`, ...fields },
  );

export const requestCompleted = (eventId: string, requestId: string, fields: Fields = {}) =>
  anEvent(
    { type: 'ErasureRequestCompleted', request_id: requestId },
    { event_id: eventId, source: 'SYSTEM', actor: 'lethe.orchestrator', ...fields },
  );

export function aMetadata(overrides: Partial<CommandMetadata> = {}): CommandMetadata {
  return {
    eventId: 'evt-new',
    subjectId: SUBJECT,
    now: T0 + 60 * MINUTE,
    source: 'WEB',
    actor: 'consent-api',
    jurisdiction: 'GDPR',
    correlationId: 'corr-1',
    causationId: null,
    ...overrides,
  };
}
