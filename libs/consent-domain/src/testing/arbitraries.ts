import {
  ERASURE_SCOPE_SYMBOLS,
  JURISDICTION_SYMBOLS,
  OPT_OUT_KIND_SYMBOLS,
  SOURCE_SYMBOLS,
  type ConsentEvent,
  type ConsentEventPayload,
} from '@lethe/contracts';
import fc from 'fast-check';
import { SUBJECT } from './events';

/**
 * fast-check arbitraries for one subject's log. Small pools of purposes, systems and request
 * ids make collisions (the same purpose granted then withdrawn, two acks of one step) common.
 */
export const PURPOSE_POOL = ['analytics', 'ads', 'email'] as const;
export const SYSTEM_POOL = ['sql', 'cache', 'search'] as const;
export const REQUEST_ID_POOL = ['req-a', 'req-b'] as const;

/** An event before it is given its place in the log (event_id). */
export type UnplacedEvent = Omit<ConsentEvent, 'event_id'>;

const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2026, 0, 1) });
const requestId = fc.constantFrom(...REQUEST_ID_POOL);
const system = fc.constantFrom(...SYSTEM_POOL);

export const payloadArb: fc.Arbitrary<ConsentEventPayload> = fc.oneof(
  fc.constant({ type: 'ConsentGranted' as const }),
  fc.constant({ type: 'ConsentWithdrawn' as const }),
  fc.record({
    type: fc.constant('ObjectionRaised' as const),
    reason: fc.option(fc.constantFrom('marketing', 'profiling'), { nil: null }),
  }),
  fc.record({
    type: fc.constant('OptOutRecorded' as const),
    kinds: fc.subarray([...OPT_OUT_KIND_SYMBOLS], { minLength: 1 }),
  }),
  fc.record({
    type: fc.constant('ErasureRequested' as const),
    request_id: requestId,
    scope: fc.constantFrom(...ERASURE_SCOPE_SYMBOLS),
    keep_transaction_history: fc.boolean(),
    systems: fc.subarray([...SYSTEM_POOL]),
    all_systems: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('ErasureStepCompleted' as const),
    request_id: requestId,
    system,
    action: fc.constantFrom('delete', 'anonymize', 'tombstone'),
    counts: fc.dictionary(fc.constantFrom('users', 'orders'), fc.nat(1000)),
    evidence_hash: fc.stringMatching(/^[0-9a-f]{8}$/),
    legal_hold: fc.option(fc.constant('tax records, 10 years'), { nil: null }),
    strategies: fc.dictionary(fc.constantFrom('users.email', 'orders.name'), fc.constantFrom('null', 'hmac')),
  }),
  fc.record({
    type: fc.constant('ErasureStepFailed' as const),
    request_id: requestId,
    system,
    retryable: fc.boolean(),
    attempt: fc.integer({ min: 1, max: 5 }),
    reason: fc.constantFrom('timeout', 'connection_refused'),
  }),
  fc.record({ type: fc.constant('ErasureRequestCompleted' as const), request_id: requestId }),
  fc.record({ type: fc.constant('ErasureDeadlineExtended' as const), request_id: requestId, reason: fc.constant('complex request') }),
  fc.record({ type: fc.constant('ErasureStepRetryRequested' as const), request_id: requestId, system }),
  fc.record({ type: fc.constant('KeyShredded' as const), request_id: requestId, cause: fc.constant('ERASURE_COMPLETED' as const) }),
);

export function unplacedEventArb(payload: fc.Arbitrary<ConsentEventPayload> = payloadArb): fc.Arbitrary<UnplacedEvent> {
  return fc.record({
    subject_id: fc.constant(SUBJECT),
    occurred_at: instant,
    recorded_at: instant,
    source: fc.constantFrom(...SOURCE_SYMBOLS),
    actor: fc.constantFrom('consent-api', 'lethe.erasure.sql'),
    jurisdiction: fc.constantFrom(...JURISDICTION_SYMBOLS),
    policy_version: fc.option(fc.constantFrom('privacy-v2', 'privacy-v3'), { nil: null }),
    purposes: fc.subarray([...PURPOSE_POOL]),
    correlation_id: fc.option(fc.constant('corr-1'), { nil: null }),
    causation_id: fc.constant(null),
    identities: fc.constant(null),
    payload,
  });
}

/** Gives each event a unique id, in log order. */
export function placed(events: readonly UnplacedEvent[]): ConsentEvent[] {
  return events.map((event, index) => ({ event_id: `evt-${index}`, ...event }));
}

/** A valid log of one subject: unique event ids, any order of facts. */
export const eventLogArb: fc.Arbitrary<ConsentEvent[]> = fc
  .array(unplacedEventArb(), { maxLength: 40 })
  .map(placed);

/**
 * Copies of events already in `log`, each inserted somewhere after its original, as Kafka
 * redelivers after a rebalance or a producer retry. `picks` choose what and where.
 */
export function withRedeliveries(log: readonly ConsentEvent[], picks: readonly [number, number][]): ConsentEvent[] {
  const result = [...log];
  if (log.length === 0) return result;
  for (const [which, where] of picks) {
    const original = which % log.length;
    const firstSeenAt = result.findIndex((event) => event.event_id === log[original].event_id);
    const insertAt = firstSeenAt + 1 + (where % (result.length - firstSeenAt));
    result.splice(insertAt, 0, structuredClone(log[original]));
  }
  return result;
}

export const redeliveryPicksArb = fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 10 });
