import { randomUUID } from 'node:crypto';
import type { ConsentEvent, ConsentEventPayload } from '@lethe/contracts';

/** One example payload of every type, for round trips and fixtures. */
export const SAMPLE_PAYLOADS: ConsentEventPayload[] = [
  { type: 'ConsentGranted' },
  { type: 'ConsentWithdrawn' },
  { type: 'ObjectionRaised', reason: 'direct marketing' },
  { type: 'OptOutRecorded', kinds: ['SALE', 'SHARING'] },
  { type: 'ErasureRequested', request_id: 'req-1', scope: 'ALL', keep_transaction_history: true, systems: ['shop-db'], all_systems: false },
  {
    type: 'ErasureStepCompleted',
    request_id: 'req-1',
    system: 'shop-db',
    action: 'anonymize',
    counts: { customers: 1, orders: 3 },
    evidence_hash: 'a'.repeat(64),
    legal_hold: null,
    strategies: { 'orders.shipping_name': 'redact' },
  },
  { type: 'ErasureStepFailed', request_id: 'req-1', system: 'crm', retryable: true, attempt: 2, reason: 'timeout' },
  { type: 'ErasureRequestCompleted', request_id: 'req-1' },
  { type: 'ErasureDeadlineExtended', request_id: 'req-1', reason: 'complex request' },
  { type: 'ErasureStepRetryRequested', request_id: 'req-1', system: 'crm' },
  { type: 'OptOutStepCompleted', system: 'crm', action: 'suppress', counts: { contacts: 1 }, evidence_hash: 'b'.repeat(64) },
  { type: 'OptOutStepFailed', system: 'crm', retryable: false, attempt: 1, reason: 'rejected' },
  { type: 'KeyShredded', request_id: 'req-1', cause: 'ERASURE_COMPLETED' },
  { type: 'KeyShredded', request_id: null, cause: 'RETENTION_ELAPSED' },
  { type: 'StepReapplyRequested', reapply_id: 'reapply-1', system: 'shop-db', cause: Buffer.from([0, 0, 0, 0, 1, 2]) },
];

/** A valid event with sensible defaults; pass what the test cares about. */
export function consentEvent(overrides: Partial<ConsentEvent> = {}): ConsentEvent {
  const now = Date.now();
  return {
    event_id: randomUUID(),
    subject_id: `subj-${randomUUID().slice(0, 8)}`,
    occurred_at: now,
    recorded_at: now,
    source: 'API',
    actor: 'test-suite',
    jurisdiction: 'GDPR',
    policy_version: null,
    purposes: ['marketing'],
    correlation_id: null,
    causation_id: null,
    identities: null,
    payload: { type: 'ConsentWithdrawn' },
    ...overrides,
  };
}

/** A mix of consent, opt-out and erasure events over `subjects`. */
export function randomEvents(subjects: string[], count: number): ConsentEvent[] {
  const purposes = ['marketing', 'analytics', 'personalisation'];
  return Array.from({ length: count }, (_, i) => {
    const subject_id = subjects[i % subjects.length];
    const purpose = purposes[i % purposes.length];
    const payload: ConsentEvent['payload'] =
      i % 7 === 0
        ? { type: 'OptOutRecorded', kinds: ['SALE'] }
        : i % 11 === 0
          ? { type: 'ErasureRequested', request_id: `req-${subject_id}`, scope: 'ALL', keep_transaction_history: false, systems: ['crm'], all_systems: false }
          : i % 13 === 0
            ? { type: 'ErasureStepCompleted', request_id: `req-${subject_id}`, system: 'crm', action: 'delete', counts: { rows: 1 }, evidence_hash: 'e'.repeat(64), legal_hold: null, strategies: {} }
            : { type: i % 2 ? 'ConsentGranted' : 'ConsentWithdrawn' };
    return consentEvent({ subject_id, purposes: [purpose], payload, policy_version: '2026-01', occurred_at: 1_767_225_600_000 + i });
  });
}
