import { Jurisdiction, OPT_OUT_KIND_SYMBOLS } from '@lethe/contracts';
import type { Identity } from '@lethe/identity-vault';
import type { ErasureTarget } from '../connector';

/**
 * The request a processor receives, in the shape of the OpenDSR (formerly OpenGDPR) specification,
 * so processors that already implement it need no Lethe-specific code. Two deliberate differences:
 * `subject_request_id` is Lethe's work id (erasureWorkId / optOutWorkId: opaque, unique across
 * subjects, prefixed `erasure-` or `optout-` rather than a bare UUID v4), and requests
 * are authenticated by the shared-secret signature (signature.ts) rather than by certificates.
 */
export interface OpenDsrRequest {
  regulation: OpenDsrRegulation;
  subject_request_id: string;
  subject_request_type: SubjectRequestType;
  /** RFC 3339: when the subject made the request. */
  submitted_time: string;
  subject_identities: OpenDsrIdentity[];
  api_version: string;
  status_callback_urls: string[];
}

export interface OpenDsrIdentity {
  identity_type: string;
  identity_value: string;
  identity_format: 'raw';
}

export type OpenDsrRegulation = 'gdpr' | 'ccpa' | 'lgpd';

/**
 * OpenDSR defines erasure, access and portability. An opt-out of sale, sharing, targeted
 * advertising or profiling is sent as `opt_out_<kind>`, and another reaction that does not delete
 * (a withdrawal or objection the systems file maps to anonymize or suppress) as `restriction`.
 */
export type SubjectRequestType = 'erasure' | 'restriction' | `opt_out_${Lowercase<(typeof OPT_OUT_KIND_SYMBOLS)[number]>}`;

export const OPENDSR_API_VERSION = '1.0';

/** Processor statuses from OpenDSR §8, plus `failed`, which Lethe accepts in callbacks. */
export const REQUEST_STATUSES = ['pending', 'in_progress', 'completed', 'cancelled', 'failed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

// UK GDPR is the GDPR as retained in UK law; a processor knows it by the same rules. A request
// without a jurisdiction is sent as GDPR, the regime with the broadest erasure right.
const REGULATIONS: Record<Jurisdiction, OpenDsrRegulation> = { GDPR: 'gdpr', UK_GDPR: 'gdpr', CCPA: 'ccpa', LGPD: 'lgpd', UNSPECIFIED: 'gdpr' };

// OpenDSR's name for the controller's own customer id; Lethe's other types keep their names.
const IDENTITY_TYPE_NAMES: Partial<Record<Identity['type'], string>> = { customer_id: 'controller_customer_id' };

/** The identities the processor is configured to receive, distinct and non-empty. */
export function selectIdentities(identities: Identity[], types: Identity['type'][] | null): Identity[] {
  const seen = new Set<string>();
  return identities.filter((identity) => {
    const key = `${identity.type}\u0000${identity.value}`;
    const keep = identity.value !== '' && (types === null || types.includes(identity.type)) && !seen.has(key);
    seen.add(key);
    return keep;
  });
}

export function subjectRequestType(target: Pick<ErasureTarget, 'reaction'>): SubjectRequestType {
  const reaction = target.reaction;
  if (!reaction) return 'erasure';
  const kind = OPT_OUT_KIND_SYMBOLS.find((symbol) => symbol === reaction.cause);
  if (kind) return `opt_out_${kind.toLowerCase() as Lowercase<typeof kind>}`;
  return reaction.action === 'delete' ? 'erasure' : 'restriction';
}

export function requestBody(target: ErasureTarget, identities: Identity[], callbackUrl: string | null, now: number): OpenDsrRequest {
  return {
    regulation: REGULATIONS[target.jurisdiction ?? 'UNSPECIFIED'],
    subject_request_id: target.workId,
    subject_request_type: subjectRequestType(target),
    submitted_time: new Date(target.requestedAt ?? now).toISOString(),
    subject_identities: identities.map((identity) => ({
      identity_type: IDENTITY_TYPE_NAMES[identity.type] ?? identity.type,
      identity_value: identity.value,
      identity_format: 'raw',
    })),
    api_version: OPENDSR_API_VERSION,
    status_callback_urls: callbackUrl ? [callbackUrl] : [],
  };
}
