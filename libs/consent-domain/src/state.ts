import type { ErasureScope, Jurisdiction, OptOutKind, Source } from '@lethe/contracts';

/**
 * What the log says about one subject, folded by `evolve`. Plain JSON data only (no classes,
 * Maps or Dates; instants are epoch milliseconds) so the projector can store it, the
 * consent.state topic can carry it and two replays can be compared byte for byte.
 */
export interface SubjectState {
  subjectId: string;
  purposes: Record<string, PurposeConsent>;
  optOuts: Partial<Record<OptOutKind, OptOutState>>;
  /** Keyed by purpose, or by ALL_PURPOSES for an objection to all processing. */
  objections: Record<string, ObjectionState>;
  erasureRequests: Record<string, ErasureRequestState>;
  /**
   * Set once the subject's data key was destroyed (KeyShredded): every identifier of theirs on
   * the log is unreadable. Absent, not null, before that, so the states of subjects never shredded
   * stay as they were before this field existed.
   */
  keyShredded?: KeyShreddedState;
  /**
   * Set while nothing is granted, no erasure is open and a withdrawal, objection or opt-out is
   * recorded: the subject's identifiers are kept until then, and shredded after (docs/adr/0022).
   * Absent otherwise, so states without one stay as they were before this field existed.
   */
  identityRetention?: IdentityRetentionState;
  /** Every event id folded in, in log order, so a redelivered event changes nothing. */
  appliedEventIds: string[];
  /** How many events were applied (duplicates excluded). */
  version: number;
}

/** The objections key for "all purposes", which is what an objection with no purposes means. */
export const ALL_PURPOSES = '*';

export type ConsentStatus = 'granted' | 'withdrawn';

export interface PurposeConsent {
  status: ConsentStatus;
  /** The consent policy the subject saw when this status was set. */
  policyVersion: string | null;
  at: number;
  eventId: string;
}

export interface OptOutState {
  at: number;
  source: Source;
  /** When every system must honour it; derived from the policy, never entered. */
  dueAt: number;
  eventId: string;
}

export interface ObjectionState {
  at: number;
  reason: string | null;
  eventId: string;
}

export type ErasureRequestStatus = 'open' | 'completed';

export interface ErasureRequestState {
  requestId: string;
  /**
   * False while only acknowledgements of this request have been seen: an ack can be read before
   * its request (another partition, a replay). Those acks are kept, and the request fills in
   * around them when it arrives. Until then the fields from the request are null.
   */
  requested: boolean;
  scope: ErasureScope | null;
  /** The purposes to erase when scope is PURPOSES; empty for ALL. */
  purposes: string[];
  jurisdiction: Jurisdiction | null;
  keepTransactionHistory: boolean | null;
  /** Lethe's clock (recorded_at), because the deadline runs from when Lethe received it. */
  requestedAt: number | null;
  dueAt: number | null;
  /** The latest the deadline may be extended to, or null when the law allows no extension. */
  extendableTo: number | null;
  /** Set once the deadline was extended (to extendableTo); it can be extended only once. */
  extension: DeadlineExtension | null;
  /** One step per downstream system that must acknowledge. */
  systems: Record<string, StepState>;
  status: ErasureRequestStatus;
  /** Lethe's clock (recorded_at), so it compares with dueAt. */
  completedAt: number | null;
  /** The event id of the ErasureRequested event. */
  eventId: string | null;
}

export interface KeyShreddedState {
  /** The completed erasure request that made it due; null when the identity retention elapsed. */
  requestId: string | null;
  /** Absent for a completed erasure (the only cause before retention existed). */
  cause?: 'retention_elapsed';
  /** Lethe's clock (recorded_at). */
  at: number;
  eventId: string;
}

export interface IdentityRetentionState {
  /** Lethe's clock: the end of the retention of the fact below, under its jurisdiction's rule. */
  until: number;
  /** The withdrawal, objection or opt-out (or the last fact) that the retention runs from. */
  fromEventId: string;
  /** That fact's jurisdiction, whose rule set `until`. */
  jurisdiction: Jurisdiction;
}

export interface DeadlineExtension {
  reason: string;
  /** Lethe's clock (recorded_at). */
  at: number;
  eventId: string;
}

export type StepStatus = 'pending' | 'completed' | 'failed';

export interface StepState {
  status: StepStatus;
  /** When completed: what was done (delete, anonymize, suppress, tombstone, forwarded). */
  action?: string;
  counts?: Record<string, number>;
  /** Anonymized fields, `table.column` → strategy. */
  strategies?: Record<string, string>;
  evidenceHash?: string;
  legalHold?: string | null;
  /** When failed. */
  retryable?: boolean;
  attempt?: number;
  reason?: string;
  /** When the system reported it (occurred_at); null while pending. */
  at: number | null;
  eventId: string | null;
}

export function initialState(subjectId: string): SubjectState {
  return {
    subjectId,
    purposes: {},
    optOuts: {},
    objections: {},
    erasureRequests: {},
    appliedEventIds: [],
    version: 0,
  };
}

/**
 * The entry stored under `key`, ignoring inherited properties: keys come from event data, and
 * a purpose or system called 'constructor' or '__proto__' must read as absent, not as a
 * function of Object.prototype.
 */
export function entryOf<T>(record: Partial<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
