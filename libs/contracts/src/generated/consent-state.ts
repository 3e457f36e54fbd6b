// Generated from schemas/consent-state.avsc by tools/codegen/generate-contracts.ts. Do not edit:
// change the schema and run `npm run codegen`.

export const CONSENT_STATUS_SYMBOLS = ['GRANTED', 'WITHDRAWN'] as const;
export type ConsentStatus = (typeof CONSENT_STATUS_SYMBOLS)[number];

export interface PurposeState {
  status: ConsentStatus;
  policy_version: null | string;
  at: number;
  /** The subject's version when this status was set, so it can be ordered against an erasure. 0 in states written before it was recorded. */
  version: number;
}

export const OPT_OUT_SYMBOLS = ['SALE', 'SHARING', 'TARGETED_ADVERTISING', 'PROFILING'] as const;
export type OptOut = (typeof OPT_OUT_SYMBOLS)[number];

export const ERASURE_STATUS_SYMBOLS = ['NONE', 'OPEN', 'COMPLETED'] as const;
export type ErasureStatus = (typeof ERASURE_STATUS_SYMBOLS)[number];

export const ERASURE_RESTRICTION_SCOPE_SYMBOLS = ['ALL', 'PURPOSES'] as const;
export type ErasureRestrictionScope = (typeof ERASURE_RESTRICTION_SCOPE_SYMBOLS)[number];

export interface ErasureRestriction {
  scope: ErasureRestrictionScope;
  /** The purposes erased when scope is PURPOSES. */
  purposes: string[];
  /** The subject's version when the request was applied. */
  version: number;
  /** False once every system acknowledged it. */
  open: boolean;
}

/** The latest consent state of one subject on the compacted consent.state topic (key: subject_id). What other services' guards need to decide whether they may process the subject; the rule that reads it is decisionFor in libs/contracts (docs/adr/0014). */
export interface ConsentState {
  subject_id: string;
  /** Number of events folded; a higher version is newer. */
  version: number;
  updated_at: number;
  purposes: Record<string, PurposeState>;
  opt_outs: OptOut[];
  /** Purposes objected to; * means all processing. */
  objections: string[];
  /** OPEN: stop processing and drop queued work for this subject. */
  erasure: ErasureStatus;
  /** Every erasure request of the subject, in the order they were made. A purpose is processed again after an erasure only if granted after it (a higher version). Empty in states written before it was recorded, which then read erasure alone. */
  erasures: ErasureRestriction[];
}
