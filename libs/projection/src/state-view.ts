import type { ConsentState, OptOut } from '@lethe/contracts';
import { ALL_PURPOSES, openErasureRequests, SubjectState } from '@lethe/consent-domain';

/** The public view of a subject's state that the compacted consent.state topic carries. */
export function toConsentState(state: SubjectState, updatedAt: number): ConsentState {
  const requests = Object.values(state.erasureRequests).filter((request) => request.requested);
  const versionOf = versionsOf(state);
  return {
    subject_id: state.subjectId,
    version: state.version,
    updated_at: updatedAt,
    // In name order, as the lists below: a state loaded from jsonb has its keys in another order
    // than one folded in memory, and the same state must give the same record either way.
    purposes: Object.fromEntries(
      Object.entries(state.purposes)
        .sort(([a], [b]) => byCodeUnits(a, b))
        .map(([purpose, consent]) => [
          purpose,
          {
            status: consent.status === 'granted' ? 'GRANTED' : 'WITHDRAWN',
            policy_version: consent.policyVersion,
            at: consent.at,
            version: versionOf(consent.eventId, 0),
          },
        ]),
    ),
    opt_outs: (Object.keys(state.optOuts) as OptOut[]).sort(),
    objections: Object.keys(state.objections).sort((a, b) => (a === ALL_PURPOSES ? -1 : b === ALL_PURPOSES ? 1 : byCodeUnits(a, b))),
    erasure: openErasureRequests(state).length > 0 ? 'OPEN' : requests.length > 0 ? 'COMPLETED' : 'NONE',
    erasures: requests
      .map((request) => ({
        scope: request.scope === 'PURPOSES' ? ('PURPOSES' as const) : ('ALL' as const),
        purposes: request.scope === 'PURPOSES' ? [...request.purposes] : [],
        version: versionOf(request.eventId, state.version),
        open: request.status === 'open',
      }))
      .sort((a, b) => a.version - b.version),
  };
}

/** Name order by UTF-16 code units: the same in every process, whatever its locale (unlike localeCompare). */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The subject's version at which an event was applied: its place in the log order of applied
 * events, counted from 1. For an event the state does not know, the caller says which way to err:
 * a grant as early as can be (0), an erasure as late (the current version), so an erasure is
 * never lifted by a grant it may not precede.
 */
function versionsOf(state: SubjectState): (eventId: string | null, unknown: number) => number {
  // Searched from the end: a state's ids are unique (evolve applies an id once) and the events a
  // view names are mostly recent, so the search usually stops early, where indexing every id for
  // every view cost a Map per view. A long-lived subject's view is O(purposes × ids) at worst.
  return (eventId, unknown) => {
    const at = eventId !== null ? state.appliedEventIds.lastIndexOf(eventId) : -1;
    return at === -1 ? unknown : at + 1;
  };
}
