// Generated from schemas/opt-out-notice.avsc by tools/codegen/generate-contracts.ts. Do not edit:
// change the schema and run `npm run codegen`.

export const PROCESSING_CHANGE_SYMBOLS = ['RESTRICTED', 'ALLOWED'] as const;
export type ProcessingChange = (typeof PROCESSING_CHANGE_SYMBOLS)[number];

export const NOTICE_CAUSE_SYMBOLS = ['WITHDRAWN', 'OBJECTED', 'OPTED_OUT', 'ERASED', 'GRANTED'] as const;
export type NoticeCause = (typeof NOTICE_CAUSE_SYMBOLS)[number];

export const NOTICE_OPT_OUT_SYMBOLS = ['SALE', 'SHARING', 'TARGETED_ADVERTISING', 'PROFILING'] as const;
export type NoticeOptOut = (typeof NOTICE_OPT_OUT_SYMBOLS)[number];

export const NOTICE_JURISDICTION_SYMBOLS = ['UNSPECIFIED', 'GDPR', 'UK_GDPR', 'CCPA', 'LGPD'] as const;
export type NoticeJurisdiction = (typeof NOTICE_JURISDICTION_SYMBOLS)[number];

/** One change in what downstream services may do with a subject, on consent.opt-outs (key: subject_id). Derived by the projector from consent.log; no personal data. Apply a notice only if its version is higher than the last one applied for the subject: that makes a notice published twice (a fold retried after a crash) one change. See docs/adr/0014-opt-out-notices.md. */
export interface OptOutNotice {
  /** Opaque subject id. */
  subject_id: string;
  /** The subject's state version after the change, as on consent.state; higher is newer. */
  version: number;
  /** RESTRICTED: stop processing for what is named, drop caches and queued work. ALLOWED: what is named may be processed again. */
  change: ProcessingChange;
  cause: NoticeCause;
  /** True when the change covers every purpose and opt-out kind (an erasure of everything, an objection to all processing). */
  all: boolean;
  /** Purposes the change covers (besides all). */
  purposes: string[];
  /** Opt-out kinds the change covers. */
  opt_outs: NoticeOptOut[];
  jurisdiction: NoticeJurisdiction;
  /** When the cause happened (its occurred_at). */
  effective_at: number;
  /** When Lethe accepted the cause. */
  recorded_at: number;
  /** The consent.log event that made the change; one notice per event at most. */
  cause_event_id: string;
  /** Where that event is on consent.log. */
  log_partition: number;
  log_offset: number;
}
