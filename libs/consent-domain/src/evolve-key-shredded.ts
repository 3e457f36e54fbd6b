import type { ConsentEvent, ConsentEventPayloadOf } from '@lethe/contracts';
import type { SubjectState } from './state';

/**
 * The subject's data key was destroyed. The first shred is the one recorded: a repeat (another
 * completion computed it again before the first was folded) changes nothing but the version.
 */
export function onKeyShredded(state: SubjectState, event: ConsentEvent, shred: ConsentEventPayloadOf<'KeyShredded'>): SubjectState {
  if (state.keyShredded) return state;
  return { ...state, keyShredded: { requestId: shred.request_id, at: event.recorded_at, eventId: event.event_id } };
}
