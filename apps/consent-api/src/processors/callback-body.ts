import { BadRequestException } from '@nestjs/common';
import { REQUEST_STATUSES, RequestStatus } from '@lethe/connectors';

/**
 * A processor's status callback: OpenDSR's (subject_request_id, request_status, results_count,
 * and fields Lethe does not need, which are ignored) plus `failed`, `action`, `counts` and a
 * `reason` code. Parsed by hand rather than by a DTO, because OpenDSR callbacks carry more
 * fields than Lethe reads, and refusing them would refuse conforming processors.
 */
export interface ProcessorCallback {
  /** The work id Lethe sent the request under (erasure-… or optout-…). */
  subjectRequestId: string;
  status: RequestStatus;
  action: string;
  counts: Record<string, number>;
  /** One of FAILURE_REASONS; free text is never kept (it may name the person). */
  reason: FailureReason;
}

export const CALLBACK_ACTIONS = ['forwarded', 'delete', 'anonymize', 'suppress'] as const;

/** What a processor may say about a failure. Anything else is recorded as `other`. */
export const FAILURE_REASONS = ['subject_not_found', 'identity_not_supported', 'legal_hold', 'invalid_request', 'processor_error', 'cancelled', 'other'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const COUNT_NAME = /^[A-Za-z0-9._:{}*-]{1,128}$/;
const MAX_COUNTS = 50;

export function parseCallback(body: unknown): ProcessorCallback {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'the body must be a JSON object');
  const raw = body as Record<string, unknown>;
  if (typeof raw.subject_request_id !== 'string' || !REQUEST_ID.test(raw.subject_request_id)) {
    throw invalid('subject_request_id', "subject_request_id must be the id Lethe sent the request under: 1-128 letters, digits, dots, colons, dashes or underscores");
  }
  if (!(REQUEST_STATUSES as readonly unknown[]).includes(raw.request_status)) {
    throw invalid('request_status', `request_status must be one of ${REQUEST_STATUSES.join(', ')}`);
  }
  const action = raw.action ?? 'forwarded';
  if (!(CALLBACK_ACTIONS as readonly unknown[]).includes(action)) throw invalid('action', `action must be one of ${CALLBACK_ACTIONS.join(', ')}`);
  const status = raw.request_status as RequestStatus;
  return {
    subjectRequestId: raw.subject_request_id,
    status,
    action: action as string,
    counts: counts(raw.counts, raw.results_count),
    reason: status === 'cancelled' ? 'cancelled' : ((FAILURE_REASONS as readonly unknown[]).includes(raw.reason) ? (raw.reason as FailureReason) : 'other'),
  };
}

/** `counts` as sent, with OpenDSR's `results_count` as `records` when no counts are given. */
function counts(raw: unknown, resultsCount: unknown): Record<string, number> {
  const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
  if (raw === undefined) return isCount(resultsCount) ? { records: resultsCount as number } : {};
  const entries = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? Object.entries(raw) : null;
  if (!entries || entries.length > MAX_COUNTS || !entries.every(([name, value]) => COUNT_NAME.test(name) && isCount(value))) {
    throw invalid('counts', `counts must be an object of at most ${MAX_COUNTS} names (letters, digits, . _ : { } * -) to whole numbers of at least 0`);
  }
  return Object.fromEntries(entries) as Record<string, number>;
}

function invalid(field: string, message: string): BadRequestException {
  return new BadRequestException({ error: 'validation', field, message });
}
