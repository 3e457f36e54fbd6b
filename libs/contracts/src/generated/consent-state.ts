// Generated from schemas/consent-state.avsc by tools/codegen/generate-contracts.ts. Do not edit:
// change the schema and run `npm run codegen`.

export const CONSENT_STATUS_SYMBOLS = ['GRANTED', 'WITHDRAWN'] as const;
export type ConsentStatus = (typeof CONSENT_STATUS_SYMBOLS)[number];

export interface PurposeState {
  status: ConsentStatus;
  policy_version: null | string;
  at: number;
}

export const OPT_OUT_SYMBOLS = ['SALE', 'SHARING', 'TARGETED_ADVERTISING', 'PROFILING'] as const;
export type OptOut = (typeof OPT_OUT_SYMBOLS)[number];

export const ERASURE_STATUS_SYMBOLS = ['NONE', 'OPEN', 'COMPLETED'] as const;
export type ErasureStatus = (typeof ERASURE_STATUS_SYMBOLS)[number];

/** The latest consent state of one subject on the compacted consent.state topic (key: subject_id). What other services' guards need to decide whether they may process the subject. */
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
}
