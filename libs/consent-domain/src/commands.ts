import type { ConsentEvent, ErasureScope, Jurisdiction, OptOutKind, Source } from '@lethe/contracts';
import type { DomainError } from './errors';

/** What a subject (or a service on their behalf) asks for. `decide` turns it into events. */
export type ConsentCommand =
  | GrantConsent
  | WithdrawConsent
  | RaiseObjection
  | RecordOptOut
  | RequestErasure
  | ExtendErasureDeadline
  | RetryErasureStep;

export interface GrantConsent {
  type: 'GrantConsent';
  purposes: readonly string[];
  /** The consent policy the subject was shown: consent must be demonstrable (GDPR Art. 7(1)). */
  policyVersion: string;
}

export interface WithdrawConsent {
  type: 'WithdrawConsent';
  purposes: readonly string[];
}

export interface RaiseObjection {
  type: 'RaiseObjection';
  /** Empty objects to all processing. */
  purposes: readonly string[];
  reason: string | null;
}

export interface RecordOptOut {
  type: 'RecordOptOut';
  kinds: readonly OptOutKind[];
}

export interface RequestErasure {
  type: 'RequestErasure';
  /** Chosen by the caller, so a retried request is recognised and not erased twice. */
  requestId: string;
  scope: ErasureScope;
  /** Required, non-empty, when scope is PURPOSES; must be empty or absent for ALL. */
  purposes?: readonly string[];
  keepTransactionHistory: boolean;
  /**
   * Downstream systems that must acknowledge; at least one. (Requests of old with none were
   * complete once requested; the fold still reads them so.)
   */
  systems: readonly string[];
  /**
   * The caller named no systems, so the request reaches every system: those above, and any
   * declared later, which apply it when they catch up on the log (docs/adr/0013).
   */
  allSystems: boolean;
}

/** Take the extra time the law allows for a request (once), saying why. */
export interface ExtendErasureDeadline {
  type: 'ExtendErasureDeadline';
  requestId: string;
  /** Holds no personal data: it is stored on the log and shown in certificates. */
  reason: string;
}

/** Run one system's failed step again, leaving the other systems as they are. */
export interface RetryErasureStep {
  type: 'RetryErasureStep';
  requestId: string;
  system: string;
}

/**
 * Everything `decide` needs from outside, passed as data so the domain never reads a clock,
 * generates an id or looks up a caller.
 */
export interface CommandMetadata {
  /** The id of the event a successful command appends. */
  eventId: string;
  subjectId: string;
  /** Lethe's clock: becomes recorded_at, and the start of any deadline. */
  now: number;
  /** When it happened as the producer saw it; defaults to now. */
  occurredAt?: number | null;
  source: Source;
  actor: string;
  jurisdiction: Jurisdiction;
  correlationId?: string | null;
  causationId?: string | null;
}

/**
 * The outcome of a command. `ignore` is a success that changes nothing (a retried request, a
 * duplicate), told apart from `reject`, which the caller must see as an error.
 */
export type Decision =
  | { kind: 'append'; events: ConsentEvent[] }
  | { kind: 'ignore'; reason: string }
  | { kind: 'reject'; error: DomainError };
