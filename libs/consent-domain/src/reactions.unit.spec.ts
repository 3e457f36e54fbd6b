import type { ConsentEvent, ConsentEventPayload } from '@lethe/contracts';
import { evolve } from './evolve';
import { completionsDue } from './reactions';
import { initialState, SubjectState } from './state';
import { anEvent, T0 } from './testing/events';

const metadata = { now: 1_800_000_000_000, actor: 'lethe-projector', completionEventId: (subjectId: string, id: string) => `done-${subjectId}-${id}` };
let seq = 0;

function given(...payloads: ConsentEventPayload[]): SubjectState {
  return payloads.reduce<SubjectState>((state, payload) => evolve(state, event(payload)), initialState('subj-1'));
}

function event(payload: ConsentEventPayload): ConsentEvent {
  seq++;
  return anEvent(payload, { event_id: `evt-${seq}`, subject_id: 'subj-1', occurred_at: T0 + seq, recorded_at: T0 + seq });
}

const requested = (systems: string[]): ConsentEventPayload => ({ type: 'ErasureRequested', request_id: 'req-1', scope: 'ALL', keep_transaction_history: false, systems, all_systems: false });
const completed = (system: string): ConsentEventPayload => ({ type: 'ErasureStepCompleted', request_id: 'req-1', system, action: 'delete', counts: {}, evidence_hash: 'h', legal_hold: null, strategies: {} });

describe('completionsDue', () => {
  it('asks for nothing while a system has not acknowledged', () => {
    expect(completionsDue(given(requested(['crm', 'shop-db']), completed('crm')), metadata)).toEqual([]);
  });

  it('completes a request once every system acknowledged, with a stable event id', () => {
    const [done] = completionsDue(given(requested(['crm', 'shop-db']), completed('crm'), completed('shop-db')), metadata);
    expect(done).toMatchObject({ event_id: 'done-subj-1-req-1', source: 'SYSTEM', actor: 'lethe-projector', jurisdiction: 'GDPR', payload: { type: 'ErasureRequestCompleted', request_id: 'req-1' } });
  });

  it('completes a request that names no systems as soon as it is requested', () => {
    expect(completionsDue(given(requested([])), metadata)).toHaveLength(1);
  });

  it('waits for the request itself when acknowledgements came first', () => {
    expect(completionsDue(given(completed('crm')), metadata)).toEqual([]);
  });

  it('asks nothing more once the completion is on the log', () => {
    const state = given(requested(['crm']), completed('crm'));
    const [done] = completionsDue(state, metadata);
    expect(completionsDue(evolve(state, done), metadata)).toEqual([]);
  });

  it('does not complete a request with a failed step', () => {
    const failed: ConsentEventPayload = { type: 'ErasureStepFailed', request_id: 'req-1', system: 'crm', retryable: false, attempt: 3, reason: 'timeout' };
    expect(completionsDue(given(requested(['crm']), failed), metadata)).toEqual([]);
  });
});
