import { erasureWorkId, optOutWorkId, reappliedWorkId } from '@lethe/contracts';
import { consentEvent } from '@lethe/testing';
import { reapplied, typesOfInterest, workFor } from './work';

const crm = { name: 'crm', reactions: { marketing: 'suppress', analytics: 'delete', SALE: 'anonymize' } as const };

describe('workFor', () => {
  it('gives erasure work to the systems a request names, and to no other', () => {
    const request = consentEvent({ subject_id: 'subj-1', payload: { type: 'ErasureRequested', request_id: 'dsr-1', scope: 'ALL', keep_transaction_history: false, systems: ['crm'], all_systems: false } });
    expect(workFor(request, crm)).toEqual({ kind: 'erasure', workId: erasureWorkId('subj-1', 'dsr-1'), requestId: 'dsr-1' });
    expect(workFor(request, { name: 'cache', reactions: {} })).toBeNull();
  });

  it('reacts to a withdrawal of a mapped purpose, with the strongest action among those matched', () => {
    const withdrawal = consentEvent({ event_id: 'e-1', subject_id: 'subj-1', purposes: ['marketing', 'analytics'], payload: { type: 'ConsentWithdrawn' } });
    expect(workFor(withdrawal, crm)).toEqual({ kind: 'opt-out', workId: optOutWorkId('subj-1', 'e-1'), action: 'delete', cause: 'analytics' });
    expect(workFor(consentEvent({ purposes: ['support'], payload: { type: 'ConsentWithdrawn' } }), crm)).toBeNull();
  });

  it('treats an objection to all processing as touching every mapped purpose, and opt-outs by kind', () => {
    const objection = consentEvent({ event_id: 'e-2', purposes: [], payload: { type: 'ObjectionRaised', reason: null } });
    expect(workFor(objection, crm)).toMatchObject({ action: 'delete', cause: 'analytics' });
    const optOut = consentEvent({ event_id: 'e-3', subject_id: 'subj-1', payload: { type: 'OptOutRecorded', kinds: ['SHARING', 'SALE'] } });
    expect(workFor(optOut, crm)).toEqual({ kind: 'opt-out', workId: optOutWorkId('subj-1', 'e-3'), action: 'anonymize', cause: 'SALE' });
  });

  it('gives erasure work to every system, also one declared later, when the caller named none', () => {
    const request = consentEvent({ subject_id: 'subj-1', payload: { type: 'ErasureRequested', request_id: 'dsr-1', scope: 'ALL', keep_transaction_history: false, systems: ['crm'], all_systems: true } });
    expect(workFor(request, { name: 'new-warehouse', reactions: {} })).toMatchObject({ kind: 'erasure', requestId: 'dsr-1' });
  });

  it('gives two subjects two pieces of work even when their request or event ids are the same', () => {
    const erasure = (subject_id: string) => consentEvent({ subject_id, payload: { type: 'ErasureRequested', request_id: 'dsr-1', scope: 'ALL', keep_transaction_history: false, systems: ['crm'], all_systems: false } });
    const withdrawal = (subject_id: string) => consentEvent({ event_id: 'e-1', subject_id, purposes: ['marketing'], payload: { type: 'ConsentWithdrawn' } });
    expect(workFor(erasure('subj-a'), crm)?.workId).not.toBe(workFor(erasure('subj-b'), crm)?.workId);
    expect(workFor(withdrawal('subj-a'), crm)?.workId).not.toBe(workFor(withdrawal('subj-b'), crm)?.workId);
    // And the same subject's request is the same work however often it is delivered.
    expect(workFor(erasure('subj-a'), crm)?.workId).toBe(workFor(erasure('subj-a'), crm)?.workId);
  });

  it('treats a withdrawal naming no purposes, as other producers may write it, as one of every mapped purpose', () => {
    const everything = consentEvent({ event_id: 'e-9', subject_id: 'subj-1', purposes: [], payload: { type: 'ConsentWithdrawn' } });
    expect(workFor(everything, crm)).toMatchObject({ kind: 'opt-out', action: 'delete', cause: 'analytics' });
  });

  it('acts only on the causes still in force, with the strongest action among those', () => {
    const withdrawal = consentEvent({ event_id: 'e-1', subject_id: 'subj-1', purposes: ['marketing', 'analytics'], payload: { type: 'ConsentWithdrawn' } });
    expect(workFor(withdrawal, crm, (cause) => cause !== 'analytics')).toMatchObject({ action: 'suppress', cause: 'marketing' });
    expect(workFor(withdrawal, crm, () => false)).toBeNull();
  });

  it('ignores consent grants and acknowledgements', () => {
    expect(workFor(consentEvent({ payload: { type: 'ConsentGranted' } }), crm)).toBeNull();
    expect(workFor(consentEvent({ payload: { type: 'ErasureRequestCompleted', request_id: 'dsr-1' } }), crm)).toBeNull();
  });

  it('reads opt-out records only for systems that react to them', () => {
    expect(typesOfInterest({ name: 'cache', reactions: {} })).not.toContain('ConsentWithdrawn');
    expect(typesOfInterest(crm)).toContain('OptOutRecorded');
  });

  it('works on a reapply under a new work id per reapply, caused by the reapply request', () => {
    const request = consentEvent({ subject_id: 'subj-1', payload: { type: 'ErasureRequested', request_id: 'dsr-1', scope: 'ALL', keep_transaction_history: false, systems: ['crm'], all_systems: false } });
    const work = workFor(request, crm);
    const reapply = (id: string) => consentEvent({ event_id: `r-${id}`, subject_id: 'subj-1', payload: { type: 'StepReapplyRequested', reapply_id: id, system: 'crm', cause: Buffer.alloc(0) } }) as Parameters<typeof reapplied>[1];
    const again = work && reapplied(work, reapply('reapply-1'));
    expect(again).toEqual({ kind: 'erasure', requestId: 'dsr-1', workId: reappliedWorkId(erasureWorkId('subj-1', 'dsr-1'), 'reapply-1'), reapplyEventId: 'r-reapply-1' });
    expect(again?.workId).not.toBe(work?.workId);
    expect(work && reapplied(work, reapply('reapply-2')).workId).not.toBe(again?.workId);
    expect(typesOfInterest({ name: 'cache', reactions: {} })).toContain('StepReapplyRequested');
  });
});
