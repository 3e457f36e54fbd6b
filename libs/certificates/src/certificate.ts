import { classifyFields, DomainError, type ErasureRequestState } from '@lethe/consent-domain';
import { type CitedCheckpoint, requireCoverage } from './cited-checkpoint';

/**
 * Bumped whenever the meaning or the set of fields changes; verifiers refuse what they do not know.
 * v2 adds each system's `pseudonymized` and `anonymized` fields (ADR 0009); v3 the signed
 * checkpoint of consent.log that covers every event cited (ADR 0017).
 */
export const CERTIFICATE_FORMAT = 'lethe.erasure-certificate/v3';

/** Formats a verifier still checks: certificates issued earlier stay verifiable. */
export const VERIFIABLE_FORMATS: readonly string[] = ['lethe.erasure-certificate/v1', 'lethe.erasure-certificate/v2', CERTIFICATE_FORMAT];

/** Where an event sits on consent.log: fetch that record and its event_id must match. */
export interface LogCoordinates {
  topic: string;
  partition: number;
  /** A string, because Kafka offsets are 64-bit. */
  offset: string;
  eventId: string;
}

/** An erasure event as the projector indexed it (erasure_events). */
export interface LoggedEvent extends LogCoordinates {
  type: string;
}

export interface CertifiedSystem {
  system: string;
  status: string;
  /** delete, anonymize, suppress, tombstone, forwarded. */
  action: string | null;
  counts: Record<string, number>;
  /** Fields kept in anonymized rows (table.column) and the strategy applied to each. */
  strategies: Record<string, string>;
  /** Of those, the fields still linkable to the person (a keyed hash): personal data still. */
  pseudonymized: string[];
  /** Of those, the fields nothing of the person is left in (null, redact, random, year). */
  anonymized: string[];
  /** The retention obligation and its legal basis, when something was kept. */
  legalHold: string | null;
  /** When the system acted, as it reported. */
  at: string | null;
  /** SHA-256 of the evidence the system reported. */
  evidenceHash: string | null;
  /** Its ErasureStepCompleted: the first one, since a completion is final. */
  event: LogCoordinates;
}

export interface ErasureCertificate {
  format: typeof CERTIFICATE_FORMAT;
  issuer: 'lethe';
  issuedAt: string;
  requestId: string;
  /** The opaque subject id, never a direct identifier. */
  subjectId: string;
  jurisdiction: string | null;
  scope: string | null;
  purposes: string[];
  requestedAt: string | null;
  dueAt: string | null;
  extension: { reason: string; at: string; event: LogCoordinates } | null;
  completedAt: string | null;
  /** Sorted by name. */
  systems: CertifiedSystem[];
  /** The ErasureRequested and the ErasureRequestCompleted. */
  events: { requested: LogCoordinates; completed: LogCoordinates };
  /** A checkpoint of consent.log whose chain holds every event cited: check it with the checkpoint key. */
  checkpoint: CitedCheckpoint;
}

export interface CertificateInput {
  subjectId: string;
  request: ErasureRequestState;
  /** The request's indexed erasure events (any order; others are ignored). */
  events: LoggedEvent[];
  /** The first checkpoint past the request's events, if the checkpointer wrote one yet. */
  checkpoint: CitedCheckpoint | undefined;
  issuedAt: number;
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

/**
 * The certificate of a completed request, from its projected state and the log positions of the
 * events that prove it. Refuses (409) an open request, and a request whose events were projected
 * before their positions were indexed, or not yet covered by a checkpoint: a certificate cites the
 * log and its checkpoint or is not issued.
 */
export function buildCertificate({ subjectId, request, events, checkpoint, issuedAt }: CertificateInput): ErasureCertificate {
  if (request.status !== 'completed' || !request.requested) {
    throw new DomainError('illegal_state', 'request_not_complete', 'the request is not complete; its progress is at GET /v1/erasure-requests/{id}');
  }
  // A system declared after completion catches up on the request (docs/adr/0013): until it has
  // erased too, or if it failed, a certificate would claim more than was done.
  if (Object.values(request.systems).some((step) => step.status !== 'completed')) {
    throw new DomainError('illegal_state', 'late_step_not_completed', 'a system that joined after the request completed has not erased the subject (yet); its status is at GET /v1/erasure-requests/{id}');
  }
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const cite = (eventId: string | null): LogCoordinates => {
    const found = eventId ? byId.get(eventId) : undefined;
    if (!found) {
      throw new DomainError('illegal_state', 'log_coordinates_missing', 'the log positions of this request were not indexed; rebuild the projection to certify it');
    }
    return coordinates(found);
  };
  // The completion the fold applied is the first on the log: later ones changed nothing.
  const [completion] = events.filter((e) => e.type === 'ErasureRequestCompleted').sort((a, b) => compareOffsets(a.offset, b.offset));
  const certificate: Omit<ErasureCertificate, 'checkpoint'> = {
    format: CERTIFICATE_FORMAT,
    issuer: 'lethe',
    issuedAt: new Date(issuedAt).toISOString(),
    requestId: request.requestId,
    subjectId,
    jurisdiction: request.jurisdiction,
    scope: request.scope,
    purposes: [...request.purposes],
    requestedAt: iso(request.requestedAt),
    dueAt: iso(request.dueAt),
    extension: request.extension
      ? { reason: request.extension.reason, at: new Date(request.extension.at).toISOString(), event: cite(request.extension.eventId) }
      : null,
    completedAt: iso(request.completedAt),
    systems: Object.entries(request.systems)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([system, step]) => {
        return {
          system,
          status: step.status,
          action: step.action ?? null,
          counts: { ...(step.counts ?? {}) },
          strategies: { ...(step.strategies ?? {}) },
          ...classifyFields(step.strategies ?? {}),
          legalHold: step.legalHold ?? null,
          at: iso(step.at),
          evidenceHash: step.evidenceHash ?? null,
          event: cite(step.eventId),
        };
      }),
    events: { requested: cite(request.eventId), completed: cite(completion?.eventId ?? null) },
  };
  return { ...certificate, checkpoint: requireCoverage(checkpoint, citedPositions(certificate)) };
}

/** Every log position a certificate cites. */
export function citedPositions(certificate: { systems: { event: LogCoordinates }[] } & Pick<ErasureCertificate, 'events' | 'extension'>): LogCoordinates[] {
  return [certificate.events.requested, certificate.events.completed, ...(certificate.extension ? [certificate.extension.event] : []), ...certificate.systems.map((s) => s.event)];
}

function coordinates({ topic, partition, offset, eventId }: LoggedEvent): LogCoordinates {
  return { topic, partition, offset: String(offset), eventId };
}

function compareOffsets(a: string, b: string): number {
  const difference = BigInt(a) - BigInt(b);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
