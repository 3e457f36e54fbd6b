import { consentEvent } from '@lethe/testing';
import { typesOfInterest, workFor } from './work';

const crm = { name: 'crm', reactions: { marketing: 'suppress', analytics: 'delete', SALE: 'anonymize' } as const };

describe('workFor', () => {
  it('gives erasure work to the systems a request names, and to no other', () => {
    const request = consentEvent({ payload: { type: 'ErasureRequested', request_id: 'dsr-1', scope: 'ALL', keep_transaction_history: false, systems: ['crm'] } });
    expect(workFor(request, crm)).toEqual({ kind: 'erasure', requestId: 'dsr-1' });
    expect(workFor(request, { name: 'cache', reactions: {} })).toBeNull();
  });

  it('reacts to a withdrawal of a mapped purpose, with the strongest action among those matched', () => {
    const withdrawal = consentEvent({ event_id: 'e-1', purposes: ['marketing', 'analytics'], payload: { type: 'ConsentWithdrawn' } });
    expect(workFor(withdrawal, crm)).toEqual({ kind: 'opt-out', requestId: 'optout-e-1', action: 'delete', cause: 'analytics' });
    expect(workFor(consentEvent({ purposes: ['support'], payload: { type: 'ConsentWithdrawn' } }), crm)).toBeNull();
  });

  it('treats an objection to all processing as touching every mapped purpose, and opt-outs by kind', () => {
    const objection = consentEvent({ event_id: 'e-2', purposes: [], payload: { type: 'ObjectionRaised', reason: null } });
    expect(workFor(objection, crm)).toMatchObject({ action: 'delete', cause: 'analytics' });
    const optOut = consentEvent({ event_id: 'e-3', payload: { type: 'OptOutRecorded', kinds: ['SHARING', 'SALE'] } });
    expect(workFor(optOut, crm)).toEqual({ kind: 'opt-out', requestId: 'optout-e-3', action: 'anonymize', cause: 'SALE' });
  });

  it('ignores consent grants and acknowledgements', () => {
    expect(workFor(consentEvent({ payload: { type: 'ConsentGranted' } }), crm)).toBeNull();
    expect(workFor(consentEvent({ payload: { type: 'ErasureRequestCompleted', request_id: 'dsr-1' } }), crm)).toBeNull();
  });

  it('reads opt-out records only for systems that react to them', () => {
    expect(typesOfInterest({ name: 'cache', reactions: {} })).not.toContain('ConsentWithdrawn');
    expect(typesOfInterest(crm)).toContain('OptOutRecorded');
  });
});
