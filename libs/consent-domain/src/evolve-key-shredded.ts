import type { ConsentEvent, ConsentEventPayloadOf } from '@lethe/contracts';
import type { SubjectState } from './state';

/**
 * The subject's data key was destroyed. The first shred is the one recorded: a repeat (another
 * completion computed it again before the first was folded) changes nothing but the version.
 *
 * A shred for an elapsed identity retention was decided on the state the projector read when it
 * swept (docs/adr/0022); a grant or erasure folded before it cancels that retention, and then the
 * shred is void: the fold records nothing and no key is destroyed. Only the retention it names
 * (causation_id), ended by its recorded time, is the premise it was appended on.
 */
export function onKeyShredded(state: SubjectState, event: ConsentEvent, shred: ConsentEventPayloadOf<'KeyShredded'>): SubjectState {
  if (state.keyShredded) return state;
  if (shred.cause === 'RETENTION_ELAPSED') {
    const retention = state.identityRetention;
    const premiseHolds = retention !== undefined && retention.fromEventId === event.causation_id && retention.until <= event.recorded_at;
    if (!premiseHolds) return state;
    return { ...state, keyShredded: { requestId: null, cause: 'retention_elapsed', at: event.recorded_at, eventId: event.event_id } };
  }
  return { ...state, keyShredded: { requestId: shred.request_id, at: event.recorded_at, eventId: event.event_id } };
}
