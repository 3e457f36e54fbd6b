// Generated from schemas/consent-event.avsc by tools/codegen/generate-contracts.ts. Do not edit:
// change the schema and run `npm run codegen`.

export const SOURCE_SYMBOLS = ['API', 'WEB', 'MOBILE', 'SDK', 'GPC', 'IMPORT', 'SYSTEM'] as const;
export type Source = (typeof SOURCE_SYMBOLS)[number];

export const JURISDICTION_SYMBOLS = ['UNSPECIFIED', 'GDPR', 'UK_GDPR', 'CCPA', 'LGPD'] as const;
export type Jurisdiction = (typeof JURISDICTION_SYMBOLS)[number];

export const CIPHER_SYMBOLS = ['AES_256_GCM'] as const;
export type Cipher = (typeof CIPHER_SYMBOLS)[number];

export interface EncryptedIdentities {
  /** Which data key of the key store encrypted this. */
  key_id: string;
  algorithm: Cipher;
  iv: Buffer;
  ciphertext: Buffer;
  auth_tag: Buffer;
}

export interface ConsentGranted {
}

export interface ConsentWithdrawn {
}

export interface ObjectionRaised {
  reason: null | string;
}

export const OPT_OUT_KIND_SYMBOLS = ['SALE', 'SHARING', 'TARGETED_ADVERTISING', 'PROFILING'] as const;
export type OptOutKind = (typeof OPT_OUT_KIND_SYMBOLS)[number];

export interface OptOutRecorded {
  kinds: OptOutKind[];
}

export const ERASURE_SCOPE_SYMBOLS = ['ALL', 'PURPOSES'] as const;
export type ErasureScope = (typeof ERASURE_SCOPE_SYMBOLS)[number];

export interface ErasureRequested {
  request_id: string;
  scope: ErasureScope;
  /** Keep transactions without identifiers instead of deleting them. */
  keep_transaction_history: boolean;
  /** Downstream systems that must acknowledge before the request is complete. */
  systems: string[];
  /** The caller named no systems: every system applies it, also one declared after it was made (docs/adr/0013). */
  all_systems: boolean;
}

export interface ErasureStepCompleted {
  request_id: string;
  system: string;
  /** What was done: delete, anonymize, suppress, tombstone, forwarded. */
  action: string;
  /** Rows or keys affected, by table or key pattern. */
  counts: Record<string, number>;
  /** SHA-256 of the canonical evidence the system reported. */
  evidence_hash: string;
  /** Retention obligation and its legal basis, when something was kept. */
  legal_hold: null | string;
  /** Anonymized fields, table.column → strategy (null, redact, random, sha256, hmac, year). */
  strategies: Record<string, string>;
}

export interface ErasureStepFailed {
  request_id: string;
  system: string;
  retryable: boolean;
  attempt: number;
  /** Holds no personal data. */
  reason: string;
}

export interface ErasureRequestCompleted {
  request_id: string;
}

/** The request's deadline moved to the latest the law allows (once, where it allows one). */
export interface ErasureDeadlineExtended {
  request_id: string;
  /** Why more time is needed, as told to the subject; holds no personal data. */
  reason: string;
}

/** An operator asked one system to try a failed step again; the others are not re-run. */
export interface ErasureStepRetryRequested {
  request_id: string;
  system: string;
}

/** A system acted on a withdrawal, objection or opt-out (the event in causation_id). */
export interface OptOutStepCompleted {
  system: string;
  /** delete, anonymize or suppress. */
  action: string;
  counts: Record<string, number>;
  evidence_hash: string;
}

/** A system could not act on a withdrawal, objection or opt-out (the event in causation_id). */
export interface OptOutStepFailed {
  system: string;
  retryable: boolean;
  attempt: number;
  /** Holds no personal data. */
  reason: string;
}

export const KEY_SHRED_CAUSE_SYMBOLS = ['ERASURE_COMPLETED', 'RETENTION_ELAPSED'] as const;
export type KeyShredCause = (typeof KEY_SHRED_CAUSE_SYMBOLS)[number];

/** The subject's data key was destroyed (crypto-shredding): every identities field of this subject on the log is unreadable from now on. Appended by the projector when an erasure of ALL the subject's data completed (docs/adr/0018), or when the identity retention after the subject's last opt-out, objection or withdrawal elapsed with nothing granted since (docs/adr/0022; causation_id is that fact). */
export interface KeyShredded {
  /** The completed erasure request that made the shred due; null when the cause is RETENTION_ELAPSED. */
  request_id: null | string;
  /** Why the key was destroyed. Records written before this field read as ERASURE_COMPLETED, the only cause then. */
  cause: KeyShredCause;
}

/** An operator asked one system to carry out a completed step again, under a new work id, because a backup restored to it may hold the data again (docs/adr/0019). causation_id is the erasure request or opt-out; the system appends a new acknowledgement. */
export interface StepReapplyRequested {
  /** One per `lethe reapply` run; part of the step's new work id. */
  reapply_id: string;
  system: string;
  /** The record of the erasure request or opt-out, as it is on consent.log (Confluent wire format): its identifiers stay encrypted under the subject's key. */
  cause: Buffer;
}

export const CONSENT_EVENT_PAYLOAD_TYPES = ['ConsentGranted', 'ConsentWithdrawn', 'ObjectionRaised', 'OptOutRecorded', 'ErasureRequested', 'ErasureStepCompleted', 'ErasureStepFailed', 'ErasureRequestCompleted', 'ErasureDeadlineExtended', 'ErasureStepRetryRequested', 'OptOutStepCompleted', 'OptOutStepFailed', 'KeyShredded', 'StepReapplyRequested'] as const;
export type ConsentEventPayloadType = (typeof CONSENT_EVENT_PAYLOAD_TYPES)[number];
export type ConsentEventPayload =
  | ({ type: 'ConsentGranted' } & ConsentGranted)
  | ({ type: 'ConsentWithdrawn' } & ConsentWithdrawn)
  | ({ type: 'ObjectionRaised' } & ObjectionRaised)
  | ({ type: 'OptOutRecorded' } & OptOutRecorded)
  | ({ type: 'ErasureRequested' } & ErasureRequested)
  | ({ type: 'ErasureStepCompleted' } & ErasureStepCompleted)
  | ({ type: 'ErasureStepFailed' } & ErasureStepFailed)
  | ({ type: 'ErasureRequestCompleted' } & ErasureRequestCompleted)
  | ({ type: 'ErasureDeadlineExtended' } & ErasureDeadlineExtended)
  | ({ type: 'ErasureStepRetryRequested' } & ErasureStepRetryRequested)
  | ({ type: 'OptOutStepCompleted' } & OptOutStepCompleted)
  | ({ type: 'OptOutStepFailed' } & OptOutStepFailed)
  | ({ type: 'KeyShredded' } & KeyShredded)
  | ({ type: 'StepReapplyRequested' } & StepReapplyRequested);
/** The payload of the given type. */
export type ConsentEventPayloadOf<T extends ConsentEventPayloadType> = Extract<ConsentEventPayload, { type: T }>;

/** One fact on consent.log. The record key is subject_id. The envelope says who, when and under which policy; payload says what happened. See docs/adr/0003-event-envelope.md. */
export interface ConsentEvent {
  /** Unique per fact; a repeated id is a duplicate and changes nothing. */
  event_id: string;
  /** Opaque subject id, never an e-mail, phone or name. */
  subject_id: string;
  /** When it happened, as the producer saw it. */
  occurred_at: number;
  /** When Lethe accepted it. */
  recorded_at: number;
  source: Source;
  /** The producing service (from its API key), or lethe's own component. */
  actor: string;
  jurisdiction: Jurisdiction;
  /** Version of the consent policy the subject saw. */
  policy_version: null | string;
  /** Purposes the fact is about; empty means all. */
  purposes: string[];
  correlation_id: null | string;
  /** event_id of the fact that caused this one. */
  causation_id: null | string;
  /** Direct identifiers (e-mail, phone, account ids) downstream systems need, encrypted with the subject's data key. Shredding the key makes them unreadable. */
  identities: null | EncryptedIdentities;
  payload: ConsentEventPayload;
}
