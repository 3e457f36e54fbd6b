import type { ExtendErasureDeadline, RetryErasureStep } from './commands';
import { fold } from './replay';
import { given } from './testing/given-when-then';
import { anEvent, erasureRequested, requestCompleted, stepCompleted, stepFailed, SUBJECT, T0 } from './testing/events';
import { evolve } from './evolve';

const extend = (fields: Partial<ExtendErasureDeadline> = {}): ExtendErasureDeadline => ({
  type: 'ExtendErasureDeadline',
  requestId: 'req-1',
  reason: 'the request needs data from archived systems',
  ...fields,
});

const retry = (fields: Partial<RetryErasureStep> = {}): RetryErasureStep => ({
  type: 'RetryErasureStep',
  requestId: 'req-1',
  system: 'crm',
  ...fields,
});

const extended = (eventId: string) =>
  anEvent({ type: 'ErasureDeadlineExtended', request_id: 'req-1', reason: 'complex request' }, { event_id: eventId });

describe('decide: ExtendErasureDeadline', () => {
  it('appends the extension with its reason for a GDPR request', () => {
    const { decision } = given([erasureRequested('e1', 'req-1', ['crm'])]).when(extend());
    expect(decision).toMatchObject({
      kind: 'append',
      events: [{ correlation_id: 'req-1', payload: { type: 'ErasureDeadlineExtended', request_id: 'req-1', reason: extend().reason } }],
    });
  });

  it('allows one extension only', () => {
    given([erasureRequested('e1', 'req-1', ['crm']), extended('e2')]).when(extend()).thenRejected('illegal_state', 'already_extended');
  });

  it('refuses where the law allows no extension (LGPD)', () => {
    given([erasureRequested('e1', 'req-1', ['crm'], { jurisdiction: 'LGPD' })])
      .when(extend())
      .thenRejected('illegal_state', 'extension_not_allowed');
  });

  it('refuses an unknown or completed request, and a reason that is missing', () => {
    given([]).when(extend()).thenRejected('not_found', 'request_not_found');
    given([erasureRequested('e1', 'req-1', []), requestCompleted('e2', 'req-1')]).when(extend()).thenRejected('illegal_state', 'request_completed');
    given([erasureRequested('e1', 'req-1', ['crm'])]).when(extend({ reason: '' })).thenRejected('validation', 'reason_invalid');
  });
});

describe('evolve: ErasureDeadlineExtended', () => {
  it('moves the deadline to the latest the law allows and records why', () => {
    const before = fold([erasureRequested('e1', 'req-1', ['crm'])], SUBJECT).erasureRequests['req-1'];
    const after = fold([erasureRequested('e1', 'req-1', ['crm']), extended('e2')], SUBJECT).erasureRequests['req-1'];
    expect(before.extendableTo).toBeGreaterThan(before.dueAt as number);
    expect(after.dueAt).toBe(before.extendableTo);
    expect(after.extension).toEqual({ reason: 'complex request', at: T0, eventId: 'e2' });
  });

  it('ignores a second extension, so a replay derives the same deadline', () => {
    const once = fold([erasureRequested('e1', 'req-1', ['crm']), extended('e2')], SUBJECT);
    const twice = evolve(once, extended('e3'));
    expect(twice.erasureRequests['req-1']).toBe(once.erasureRequests['req-1']);
  });
});

describe('decide and evolve: RetryErasureStep', () => {
  const failedCrm = [erasureRequested('e1', 'req-1', ['crm', 'cache']), stepCompleted('e2', 'req-1', 'cache'), stepFailed('e3', 'req-1', 'crm')];

  it('sends one failed step back to pending and leaves the others as they are', () => {
    const { decision } = given(failedCrm).when(retry());
    expect(decision).toMatchObject({ kind: 'append', events: [{ payload: { type: 'ErasureStepRetryRequested', request_id: 'req-1', system: 'crm' } }] });
    const events = (decision as { events: Parameters<typeof evolve>[1][] }).events;
    const state = fold([...failedCrm, ...events], SUBJECT);
    expect(state.erasureRequests['req-1'].systems.crm.status).toBe('pending');
    expect(state.erasureRequests['req-1'].systems.cache.status).toBe('completed');
  });

  it('refuses a step that has not failed, and a system the request does not name', () => {
    given(failedCrm).when(retry({ system: 'cache' })).thenRejected('illegal_state', 'step_completed');
    given(failedCrm).when(retry({ system: 'billing' })).thenRejected('not_found', 'system_not_in_request');
  });
});
