import type { ConsentEvent } from '@lethe/contracts';
import { DomainError } from './errors';
import { onConsentGranted, onConsentWithdrawn, onObjectionRaised, onOptOutRecorded } from './evolve-consent';
import {
  onErasureDeadlineExtended,
  onErasureRequestCompleted,
  onErasureRequested,
  onErasureStepRetryRequested,
  onErasureStepCompleted,
  onErasureStepFailed,
} from './evolve-erasure';
import { withIdentityRetention } from './evolve-identity-retention';
import { onKeyShredded } from './evolve-key-shredded';
import type { SubjectState } from './state';

/**
 * The fold: the one function the projector, replays, as-of queries and tests all use to turn
 * a subject's log into its state. Pure: it returns a new state and never touches its input.
 *
 * Redelivery is normal on Kafka, so an event whose id was already applied returns the state
 * as it is. An event of another subject is a bug upstream (the log is keyed by subject) and
 * throws rather than being folded into the wrong person.
 */
export function evolve(state: SubjectState, event: ConsentEvent): SubjectState {
  if (event.subject_id !== state.subjectId) {
    throw new DomainError('validation', 'subject_mismatch', `event ${event.event_id} belongs to another subject`);
  }
  if (state.appliedEventIds.includes(event.event_id)) return state;

  const next = withIdentityRetention(applyPayload(state, event), event);
  return { ...next, appliedEventIds: [...state.appliedEventIds, event.event_id], version: state.version + 1 };
}

function applyPayload(state: SubjectState, event: ConsentEvent): SubjectState {
  const payload = event.payload;
  switch (payload.type) {
    case 'ConsentGranted':
      return onConsentGranted(state, event);
    case 'ConsentWithdrawn':
      return onConsentWithdrawn(state, event);
    case 'ObjectionRaised':
      return onObjectionRaised(state, event, payload);
    case 'OptOutRecorded':
      return onOptOutRecorded(state, event, payload);
    case 'ErasureRequested':
      return onErasureRequested(state, event, payload);
    case 'ErasureStepCompleted':
      return onErasureStepCompleted(state, event, payload);
    case 'ErasureStepFailed':
      return onErasureStepFailed(state, event, payload);
    case 'ErasureRequestCompleted':
      return onErasureRequestCompleted(state, event, payload);
    case 'ErasureDeadlineExtended':
      return onErasureDeadlineExtended(state, event, payload);
    case 'ErasureStepRetryRequested':
      return onErasureStepRetryRequested(state, event, payload);
    case 'KeyShredded':
      return onKeyShredded(state, event, payload);
    case 'OptOutStepCompleted':
    case 'OptOutStepFailed':
      // Evidence that a system acted on an opt-out: kept on the log for audit, not in the state.
      return state;
    case 'StepReapplyRequested':
      // An operator's request that a system act again (docs/adr/0019); its new acknowledgement is
      // the evidence, and a completed step stays completed.
      return state;
    default:
      return unknownPayload(payload, event);
  }
}

/** A payload type this version does not know (a newer schema): fail loudly, never skip a fact. */
function unknownPayload(payload: never, event: ConsentEvent): never {
  const type = (payload as { type?: unknown }).type;
  throw new DomainError('validation', 'unknown_event_type', `event ${event.event_id} has unknown type ${String(type)}`);
}
