import type { ConsentEvent } from '@lethe/contracts';
import { identityRetentionEnd } from './policies';
import { openErasureRequests } from './queries';
import type { SubjectState } from './state';

/** The facts by which a subject stops something being processed. */
const RESTRICTING = new Set(['ConsentWithdrawn', 'ObjectionRaised', 'OptOutRecorded']);

/**
 * Whether the subject's identifiers are now only kept, not used (docs/adr/0022): their key is not
 * shredded, nothing is granted, no erasure is open (it still needs them), and something was
 * withdrawn, objected to or opted out of.
 */
function onlyKeptForRetention(state: SubjectState): boolean {
  if (state.keyShredded) return false;
  const statuses = Object.values(state.purposes).map((consent) => consent.status);
  if (statuses.includes('granted') || openErasureRequests(state).length > 0) return false;
  return statuses.includes('withdrawn') || Object.keys(state.objections).length > 0 || Object.keys(state.optOuts).length > 0;
}

/**
 * The identity retention after `event` was applied (the result of applyPayload): runs from the
 * latest withdrawal, objection or opt-out recorded while nothing is granted (or from the fact that
 * left the subject so, such as the completion of an erasure of some purposes), and ends at the
 * later of the end it had and this fact's own end under its jurisdiction. A grant or a new erasure
 * removes it; a later restricting fact moves it on. Pure, and from the log alone: a replay derives
 * the same retention the live projection derived.
 */
export function withIdentityRetention(state: SubjectState, event: ConsentEvent): SubjectState {
  const { identityRetention: current, ...rest } = state;
  if (!onlyKeptForRetention(state)) return current ? rest : state;
  if (current && !RESTRICTING.has(event.payload.type)) return state;
  const until = identityRetentionEnd(event.jurisdiction, event.recorded_at);
  if (current && current.until > until) return state;
  return { ...state, identityRetention: { until, fromEventId: event.event_id, jurisdiction: event.jurisdiction } };
}
