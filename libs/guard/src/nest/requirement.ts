import type { ConsentDecision } from './core';
import type { SubjectSource } from './subject';

/** Metadata key of @RequiresConsent. */
export const CONSENT_REQUIREMENT = 'lethe:requires-consent';

/** A message the interceptor skipped: `subjectId` and `decision` are null when the message named no subject. */
export interface SkippedMessage {
  purpose: string;
  subjectId: string | null;
  decision: ConsentDecision | null;
  /** The payload, for the service's own log line; the guard itself never logs it. */
  data: unknown;
}

export interface ConsentRequirement {
  purpose: string;
  subjectFrom: SubjectSource;
  onSkipped?: (skip: SkippedMessage) => void;
}
