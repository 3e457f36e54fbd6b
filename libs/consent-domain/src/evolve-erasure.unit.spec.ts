import { erasureDeadline } from './policies';
import { isErasureComplete } from './queries';
import { fold } from './replay';
import {
  anEvent,
  erasureRequested,
  MINUTE,
  requestCompleted,
  stepCompleted,
  stepFailed,
  SUBJECT,
  T0,
} from './testing/events';

describe('evolve: erasure requests', () => {
  it('opens a request with a pending step per system and a derived deadline', () => {
    const state = fold([erasureRequested('e1', 'req-1', ['sql', 'cache'], { jurisdiction: 'CCPA' })], SUBJECT);
    expect(state.erasureRequests['req-1']).toEqual({
      requestId: 'req-1',
      requested: true,
      scope: 'ALL',
      purposes: [],
      jurisdiction: 'CCPA',
      keepTransactionHistory: false,
      requestedAt: T0,
      ...erasureDeadline('CCPA', T0),
      extension: null,
      systems: {
        sql: { status: 'pending', at: null, eventId: null },
        cache: { status: 'pending', at: null, eventId: null },
      },
      status: 'open',
      completedAt: null,
      eventId: 'e1',
    });
  });

  it('records an acknowledgement with its evidence', () => {
    const anonymized = (eventId: string) =>
      anEvent(
        { type: 'ErasureStepCompleted', request_id: 'req-1', system: 'sql', action: 'delete', counts: { users: 1 }, evidence_hash: 'sha256-sql', legal_hold: null, strategies: { 'users.email': 'hmac' } },
        { event_id: eventId, occurred_at: T0 + MINUTE, source: 'SYSTEM' },
      );
    const state = fold(
      [erasureRequested('e1', 'req-1', ['sql']), anonymized('e2')],
      SUBJECT,
    );
    expect(state.erasureRequests['req-1'].systems.sql).toEqual({
      status: 'completed',
      action: 'delete',
      counts: { users: 1 },
      strategies: { 'users.email': 'hmac' },
      evidenceHash: 'sha256-sql',
      legalHold: null,
      at: T0 + MINUTE,
      eventId: 'e2',
    });
  });

  it('keeps an acknowledgement that arrives before its request', () => {
    const ackOnly = fold([stepCompleted('e1', 'req-1', 'sql')], SUBJECT);
    expect(ackOnly.erasureRequests['req-1']).toMatchObject({ requested: false, dueAt: null, status: 'open' });
    expect(ackOnly.erasureRequests['req-1'].systems.sql.status).toBe('completed');

    const both = fold(
      [stepCompleted('e1', 'req-1', 'sql'), erasureRequested('e2', 'req-1', ['sql', 'cache'])],
      SUBJECT,
    );
    const request = both.erasureRequests['req-1'];
    expect(request).toMatchObject({ requested: true, eventId: 'e2', dueAt: erasureDeadline('GDPR', T0).dueAt });
    expect(request.systems.sql).toMatchObject({ status: 'completed', eventId: 'e1' });
    expect(request.systems.cache.status).toBe('pending');
  });

  it('keeps the first request under an id', () => {
    const state = fold(
      [
        erasureRequested('e1', 'req-1', ['sql']),
        erasureRequested('e2', 'req-1', ['cache'], { recorded_at: T0 + MINUTE }),
      ],
      SUBJECT,
    );
    expect(state.erasureRequests['req-1']).toMatchObject({ eventId: 'e1', requestedAt: T0 });
    expect(Object.keys(state.erasureRequests['req-1'].systems)).toEqual(['sql']);
  });
});

describe('evolve: erasure steps', () => {
  it('records a failure, then a successful retry', () => {
    const failed = fold([erasureRequested('e1', 'req-1', ['sql']), stepFailed('e2', 'req-1', 'sql')], SUBJECT);
    expect(failed.erasureRequests['req-1'].systems.sql).toEqual({
      status: 'failed',
      retryable: true,
      attempt: 1,
      reason: 'timeout',
      at: T0,
      eventId: 'e2',
    });
    const retried = fold(
      [erasureRequested('e1', 'req-1', ['sql']), stepFailed('e2', 'req-1', 'sql'), stepCompleted('e3', 'req-1', 'sql')],
      SUBJECT,
    );
    expect(retried.erasureRequests['req-1'].systems.sql).toMatchObject({ status: 'completed', eventId: 'e3' });
  });

  it('never downgrades a completed step on a later failure', () => {
    const state = fold(
      [erasureRequested('e1', 'req-1', ['sql']), stepCompleted('e2', 'req-1', 'sql'), stepFailed('e3', 'req-1', 'sql')],
      SUBJECT,
    );
    expect(state.erasureRequests['req-1'].systems.sql).toMatchObject({ status: 'completed', eventId: 'e2' });
    expect(state.version).toBe(3);
  });

  it('keeps the evidence of the first acknowledgement', () => {
    const state = fold([stepCompleted('e1', 'req-1', 'sql'), stepCompleted('e2', 'req-1', 'sql')], SUBJECT);
    expect(state.erasureRequests['req-1'].systems.sql.eventId).toBe('e1');
  });
});

describe('evolve: erasure completion', () => {
  it('marks the request completed on Lethe’s clock', () => {
    const state = fold(
      [erasureRequested('e1', 'req-1', []), requestCompleted('e2', 'req-1', { recorded_at: T0 + MINUTE })],
      SUBJECT,
    );
    expect(state.erasureRequests['req-1']).toMatchObject({ status: 'completed', completedAt: T0 + MINUTE });
  });

  it('says a request is complete once requested and every system acknowledged', () => {
    const request = (events: Parameters<typeof fold>[0]) => fold(events, SUBJECT).erasureRequests['req-1'];
    expect(isErasureComplete(request([erasureRequested('e1', 'req-1', [])]))).toBe(true);
    expect(isErasureComplete(request([stepCompleted('e1', 'req-1', 'sql')]))).toBe(false);
    const partly = [erasureRequested('e1', 'req-1', ['sql', 'cache']), stepCompleted('e2', 'req-1', 'sql')];
    expect(isErasureComplete(request(partly))).toBe(false);
    expect(isErasureComplete(request([...partly, stepCompleted('e3', 'req-1', 'cache')]))).toBe(true);
  });
});
