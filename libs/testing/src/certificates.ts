import { fold, type ErasureRequestState } from '@lethe/consent-domain';
import type { ConsentEvent } from '@lethe/contracts';
import { checkpointBody, type CitedCheckpoint, type LoggedEvent, originOf, privateKeyFromSeed, signNote, verifierKey } from '@lethe/certificates';

// A completed request folded from real events with the domain's fold, and the log positions the
// projector would have indexed for them: what a certificate is built from, in specs.

const subjectId = 'subj-cert';
const at = Date.UTC(2026, 0, 5, 9, 0, 0);
let n = 0;

function event(payload: ConsentEvent['payload'], offsetMs: number): ConsentEvent {
  n += 1;
  return {
    event_id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    subject_id: subjectId,
    occurred_at: at + offsetMs,
    recorded_at: at + offsetMs,
    source: 'API',
    actor: 'spec',
    jurisdiction: 'GDPR',
    policy_version: null,
    purposes: [],
    correlation_id: null,
    causation_id: null,
    identities: null,
    payload,
  };
}

/** One field of each kind, and an unkeyed hash as steps recorded before it was refused may name. */
const ANONYMIZED = { 'customers.email': 'hmac', 'customers.name': 'redact', 'orders.placed_at': 'year', 'payments.card_holder': 'sha256' };

const ack = (system: string, action: string, ms: number) =>
  event({ type: 'ErasureStepCompleted', request_id: 'dsr-1', system, action, counts: { rows: 2 }, evidence_hash: system.repeat(64).slice(0, 64), legal_hold: null, strategies: action === 'anonymize' ? ANONYMIZED : {} }, ms);

/** The checkpoint key of the specs' certificates, and its verifier key. */
export const SPEC_CHECKPOINT_KEY = privateKeyFromSeed(Buffer.alloc(32, 17));
export const SPEC_CHECKPOINT_VKEY = verifierKey('lethe-checkpoints', SPEC_CHECKPOINT_KEY);

/** A signed checkpoint of partition 4 of consent.log up to `size` (the hash is made up: no spec recomputes it). */
export function specCheckpoint(size: bigint, partition = 4): CitedCheckpoint {
  const note = signNote(checkpointBody({ origin: originOf('consent.log', partition), size, hash: Buffer.alloc(32, 3) }), 'lethe-checkpoints', SPEC_CHECKPOINT_KEY);
  return { auditTopic: 'consent.audit', auditOffset: '12', note };
}

export function certifiableRequest(): { subjectId: string; request: ErasureRequestState; log: ConsentEvent[]; events: LoggedEvent[]; checkpoint: CitedCheckpoint } {
  n = 0;
  const log = [
    event({ type: 'ErasureRequested', request_id: 'dsr-1', scope: 'ALL', keep_transaction_history: false, systems: ['b', 'a'], all_systems: false }, 0),
    event({ type: 'ErasureDeadlineExtended', request_id: 'dsr-1', reason: 'complex request' }, 1_000),
    ack('b', 'anonymize', 2_000),
    ack('a', 'delete', 3_000),
    ack('a', 'delete', 3_500), // a repeated ack: completion is final, the first one counts
    event({ type: 'ErasureRequestCompleted', request_id: 'dsr-1' }, 4_000),
    event({ type: 'ErasureRequestCompleted', request_id: 'dsr-1' }, 5_000),
  ];
  const state = fold(log, subjectId);
  const events = log.map((e, i) => ({ topic: 'consent.log', partition: 4, offset: String(100 + i), eventId: e.event_id, type: e.payload.type }));
  return { subjectId, request: state.erasureRequests['dsr-1'], log, events, checkpoint: specCheckpoint(107n) };
}
