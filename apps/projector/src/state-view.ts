import type { ConsentState, OptOut } from '@lethe/contracts';
import { ALL_PURPOSES, openErasureRequests, SubjectState } from '@lethe/consent-domain';

/** The public view of a subject's state that the compacted consent.state topic carries. */
export function toConsentState(state: SubjectState, updatedAt: number): ConsentState {
  const requests = Object.values(state.erasureRequests).filter((request) => request.requested);
  return {
    subject_id: state.subjectId,
    version: state.version,
    updated_at: updatedAt,
    purposes: Object.fromEntries(
      Object.entries(state.purposes).map(([purpose, consent]) => [
        purpose,
        { status: consent.status === 'granted' ? 'GRANTED' : 'WITHDRAWN', policy_version: consent.policyVersion, at: consent.at },
      ]),
    ),
    opt_outs: (Object.keys(state.optOuts) as OptOut[]).sort(),
    objections: Object.keys(state.objections).sort((a, b) => (a === ALL_PURPOSES ? -1 : b === ALL_PURPOSES ? 1 : a.localeCompare(b))),
    erasure: openErasureRequests(state).length > 0 ? 'OPEN' : requests.length > 0 ? 'COMPLETED' : 'NONE',
  };
}
