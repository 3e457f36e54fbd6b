import type { ConsentEvent, ConsentEventPayload } from '@lethe/contracts';
import { evolve } from './evolve';
import { completionsDue, shredsDue } from './reactions';
import { initialState, SubjectState } from './state';
import { anEvent, T0 } from './testing/events';

const metadata = { now: 1_800_000_000_000, actor: 'lethe-projector', completionEventId: (subjectId: string, id: string) => `done-${subjectId}-${id}`, shredEventId: (subjectId: string) => `shred-${subjectId}`, retentionShredEventId: (subjectId: string, from: string) => `retention-shred-${subjectId}-${from}` };
let seq = 0;

function given(...payloads: ConsentEventPayload[]): SubjectState {
  return payloads.reduce<SubjectState>((state, payload) => evolve(state, event(payload)), initialState('subj-1'));
}

function event(payload: ConsentEventPayload): ConsentEvent {
  seq++;
  return anEvent(payload, { event_id: `evt-${seq}`, subject_id: 'subj-1', occurred_at: T0 + seq, recorded_at: T0 + seq });
}

const requested = (systems: string[], scope: 'ALL' | 'PURPOSES' = 'ALL', request_id = 'req-1'): ConsentEventPayload => ({ type: 'ErasureRequested', request_id, scope, keep_transaction_history: false, systems, all_systems: false });
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

describe('shredsDue', () => {
  const done = (request_id = 'req-1'): ConsentEventPayload => ({ type: 'ErasureRequestCompleted', request_id });

  it('shreds nothing while the erasure is open, even with every system acknowledged', () => {
    expect(shredsDue(given(requested(['crm']), completed('crm')), metadata)).toEqual([]);
  });

  it('shreds the key once an erasure of all the data completed, naming the request, with a stable id', () => {
    const [shred] = shredsDue(given(requested(['crm']), completed('crm'), done()), metadata);
    expect(shred).toMatchObject({ event_id: 'shred-subj-1', source: 'SYSTEM', actor: 'lethe-projector', identities: null, correlation_id: 'req-1', payload: { type: 'KeyShredded', request_id: 'req-1' } });
  });

  it('keeps the key after an erasure of some purposes only', () => {
    expect(shredsDue(given(requested([], 'PURPOSES'), done()), metadata)).toEqual([]);
  });

  it('shreds once: nothing more is due once KeyShredded is folded, whatever completes later', () => {
    const state = given(requested([]), done());
    const [shred] = shredsDue(state, metadata);
    const after = given(requested([]), done(), shred.payload, requested([], 'ALL', 'req-2'), done('req-2'));
    expect(after.keyShredded).toMatchObject({ requestId: 'req-1' });
    expect(shredsDue(after, metadata)).toEqual([]);
  });

  it('names the earliest completed request when two completed before the shred was folded', () => {
    const [shred] = shredsDue(given(requested([], 'ALL', 'req-b'), requested([], 'ALL', 'req-a'), done('req-b'), done('req-a')), metadata);
    expect(shred.payload).toEqual({ type: 'KeyShredded', request_id: 'req-b', cause: 'ERASURE_COMPLETED' });
  });
});
