import type { RequestErasure } from './commands';
import { given } from './testing/given-when-then';
import { aMetadata, anEvent, erasureRequested, requestCompleted, stepCompleted } from './testing/events';

const request = (fields: Partial<RequestErasure> = {}): RequestErasure => ({
  type: 'RequestErasure',
  requestId: 'req-1',
  scope: 'ALL',
  keepTransactionHistory: true,
  systems: ['sql', 'cache'],
  allSystems: false,
  ...fields,
});

const NOW = aMetadata().now;

describe('decide: RequestErasure', () => {
  it('appends ErasureRequested naming the systems that must acknowledge', () => {
    given([])
      .when(request(), aMetadata({ causationId: 'evt-http-1' }))
      .then([
        anEvent(
          {
            type: 'ErasureRequested',
            request_id: 'req-1',
            scope: 'ALL',
            keep_transaction_history: true,
            systems: ['sql', 'cache'],
            all_systems: false,
          },
          {
            event_id: 'evt-new',
            occurred_at: NOW,
            recorded_at: NOW,
            source: 'WEB',
            actor: 'consent-api',
            correlation_id: 'corr-1',
            causation_id: 'evt-http-1',
          },
        ),
      ]);
  });

  it('carries the purposes of a PURPOSES-scoped request on the envelope', () => {
    const { decision } = given([]).when(request({ scope: 'PURPOSES', purposes: ['ads'] }));
    expect(decision).toMatchObject({ kind: 'append', events: [{ purposes: ['ads'], payload: { scope: 'PURPOSES' } }] });
  });

  it('ignores a retried request: it must not erase twice', () => {
    given([erasureRequested('e1', 'req-1', ['sql'])]).when(request()).thenIgnored('already_requested');
    given([erasureRequested('e1', 'req-1', []), requestCompleted('e2', 'req-1')])
      .when(request())
      .thenIgnored('already_requested');
  });

  it('records a request so far known only from acknowledgements', () => {
    const { decision } = given([stepCompleted('e1', 'req-1', 'sql')]).when(request());
    expect(decision.kind).toBe('append');
  });

  it('ignores a second request while another is open', () => {
    given([erasureRequested('e1', 'req-1', ['sql'])])
      .when(request({ requestId: 'req-2' }))
      .thenIgnored('erasure_already_open');
  });

  it('accepts a new request once the previous one is completed', () => {
    const { decision } = given([erasureRequested('e1', 'req-1', []), requestCompleted('e2', 'req-1')]).when(
      request({ requestId: 'req-2' }),
    );
    expect(decision.kind).toBe('append');
  });

  it('validates the request, naming the field', () => {
    given([]).when(request({ requestId: '' })).thenRejected('validation', 'request_id_missing');
    given([]).when(request({ scope: 'SOME' as never })).thenRejected('validation', 'scope_invalid');
    given([]).when(request({ scope: 'PURPOSES' })).thenRejected('validation', 'purposes_empty');
    given([]).when(request({ scope: 'ALL', purposes: ['ads'] })).thenRejected('validation', 'purposes_unexpected');
    given([]).when(request({ systems: ['sql', ''] })).thenRejected('validation', 'system_invalid');
    given([])
      .when(request({ keepTransactionHistory: 'yes' as never }))
      .thenRejected('validation', 'keep_transaction_history_invalid');
  });

  it('is refused when it names no system: nothing would acknowledge it, so it would be certified at once', () => {
    const { decision } = given([]).when(request({ systems: [] }));
    expect(decision).toMatchObject({ kind: 'reject', error: { code: 'validation', reason: 'no_systems', field: 'systems' } });
  });
});
