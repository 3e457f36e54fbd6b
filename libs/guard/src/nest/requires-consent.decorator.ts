import { applyDecorators, SetMetadata, UseGuards, UseInterceptors } from '@nestjs/common';
import { ConsentHttpGuard } from './consent-http.guard';
import { ConsentRpcInterceptor } from './consent-rpc.interceptor';
import { CONSENT_REQUIREMENT, ConsentRequirement, SkippedMessage } from './requirement';
import { DEFAULT_SUBJECT_SOURCE, SubjectSource } from './subject';

export interface RequiresConsentOptions {
  /** A route parameter's name (HTTP), a payload field's name (messages), or a function of the request or payload; default 'subjectId'. */
  subjectFrom?: SubjectSource;
  /** Called for each message skipped (restricted subject, or none named), e.g. to log it. */
  onSkipped?: (skip: SkippedMessage) => void;
}

/**
 * The handler runs only for subjects the consent guard allows `purpose` for.
 * - HTTP: 403 `{ statusCode, error, message, reason }` for a restricted subject (never naming it),
 *   503 with Retry-After while the guard has not caught up or is stale, 400 when the request
 *   names no subject.
 * - @EventPattern / @MessagePattern: a message for a restricted subject, or naming none, is
 *   skipped: the handler is not called and undefined is returned, so the transport commits it.
 *   Skips count in lethe_guard_skipped_messages_total{purpose}. Before the guard has caught up, or
 *   while it is stale, the message waits: it is never skipped on a guess.
 */
export function RequiresConsent(purpose: string, options: RequiresConsentOptions = {}) {
  const requirement: ConsentRequirement = { purpose, subjectFrom: options.subjectFrom ?? DEFAULT_SUBJECT_SOURCE, onSkipped: options.onSkipped };
  return applyDecorators(SetMetadata(CONSENT_REQUIREMENT, requirement), UseGuards(ConsentHttpGuard), UseInterceptors(ConsentRpcInterceptor));
}
