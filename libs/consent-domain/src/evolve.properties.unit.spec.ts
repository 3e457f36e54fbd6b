import fc from 'fast-check';
import { evolve } from './evolve';
import { fold, replay, serializeState } from './replay';
import { initialState } from './state';
import {
  eventLogArb,
  placed,
  redeliveryPicksArb,
  REQUEST_ID_POOL,
  SYSTEM_POOL,
  unplacedEventArb,
  withRedeliveries,
} from './testing/arbitraries';
import { deepFreeze } from './testing/deep-freeze';
import { SUBJECT } from './testing/events';

/** Properties of the fold that every log must satisfy, over generated logs of one subject. */
describe('evolve properties', () => {
  it('replaying the same log twice gives byte-identical state', () => {
    fc.assert(
      fc.property(eventLogArb, (log) => {
        const first = serializeState(fold(log, SUBJECT));
        const second = serializeState(fold(structuredClone(log), SUBJECT));
        expect(second).toBe(first);
        expect(serializeState(replay(log)[SUBJECT] ?? initialState(SUBJECT))).toBe(first);
      }),
    );
  });

  it('counts each distinct event once', () => {
    fc.assert(
      fc.property(eventLogArb, (log) => {
        const state = fold(log, SUBJECT);
        expect(state.version).toBe(log.length);
        expect(state.appliedEventIds).toEqual(log.map((event) => event.event_id));
      }),
    );
  });

  it('redelivered events (a seen event_id, anywhere after the original) change nothing', () => {
    fc.assert(
      fc.property(eventLogArb, redeliveryPicksArb, (log, picks) => {
        const redelivered = withRedeliveries(log, picks);
        expect(redelivered.length).toBe(log.length === 0 ? 0 : log.length + picks.length);
        expect(serializeState(fold(redelivered, SUBJECT))).toBe(serializeState(fold(log, SUBJECT)));
      }),
    );
  });

  it('keeps an ErasureStepCompleted that arrives before its ErasureRequested', () => {
    const scenario = fc.record({
      before: fc.array(unplacedEventArb(), { maxLength: 10 }),
      between: fc.array(unplacedEventArb(), { maxLength: 10 }),
      after: fc.array(unplacedEventArb(), { maxLength: 10 }),
      requestId: fc.constantFrom(...REQUEST_ID_POOL),
      system: fc.constantFrom(...SYSTEM_POOL),
      otherSystems: fc.subarray([...SYSTEM_POOL]),
      ack: unplacedEventArb(),
      request: unplacedEventArb(),
    });
    fc.assert(
      fc.property(scenario, ({ before, between, after, requestId, system, otherSystems, ack, request }) => {
        const earlyAck = {
          ...ack,
          payload: {
            type: 'ErasureStepCompleted' as const,
            request_id: requestId,
            system,
            action: 'delete',
            counts: { users: 1 },
            evidence_hash: 'abc',
            legal_hold: null,
            strategies: {},
          },
        };
        const lateRequest = {
          ...request,
          payload: {
            type: 'ErasureRequested' as const,
            request_id: requestId,
            scope: 'ALL' as const,
            keep_transaction_history: false,
            systems: [...otherSystems, system],
            all_systems: false,
          },
        };
        const state = fold(placed([...before, earlyAck, ...between, lateRequest, ...after]), SUBJECT);
        const erasure = state.erasureRequests[requestId];
        expect(erasure.requested).toBe(true);
        expect(erasure.dueAt).not.toBeNull();
        expect(erasure.systems[system].status).toBe('completed');
        // Unless an earlier request under the same id came first (the first one stands), the
        // late request fills in its systems around the step already acknowledged.
        const requestedEarlier = [...before, ...between].some(
          (event) => event.payload.type === 'ErasureRequested' && event.payload.request_id === requestId,
        );
        if (!requestedEarlier) {
          expect(Object.keys(erasure.systems)).toEqual(expect.arrayContaining([...otherSystems, system]));
          expect(erasure.eventId).toBe(`evt-${before.length + 1 + between.length}`);
        }
      }),
    );
  });

  it('never mutates the state or event it is given', () => {
    fc.assert(
      fc.property(eventLogArb, (log) => {
        const frozenLog = deepFreeze(structuredClone(log));
        let state = deepFreeze(initialState(SUBJECT));
        for (const event of frozenLog) {
          const before = serializeState(state);
          const next = evolve(state, event);
          expect(serializeState(state)).toBe(before);
          state = deepFreeze(next);
        }
        expect(frozenLog).toEqual(log);
      }),
    );
  });

  it('deep-freezing really makes writes throw, so the property above can fail', () => {
    const frozen = deepFreeze({ purposes: { ads: { status: 'granted' } } });
    expect(() => {
      (frozen.purposes.ads as { status: string }).status = 'withdrawn';
    }).toThrow(TypeError);
  });
});
