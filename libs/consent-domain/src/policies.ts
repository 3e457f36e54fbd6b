import type { Jurisdiction } from '@lethe/contracts';
import { addPeriod, businessDays, calendarDays, calendarMonths, type Period } from './calendar';
import type { ErasureRequestState } from './state';

/**
 * Regulatory deadlines as code. Deadlines are derived from these rules and the time Lethe
 * recorded a request; nobody enters a due date.
 *
 * The rules are versioned by the date they take effect. When a law or our reading of it
 * changes, add a new version rather than editing one in force: a replay of the log must derive
 * the same deadlines the live projection derived, so old events keep the rules of their time.
 */
export type RegulatedJurisdiction = Exclude<Jurisdiction, 'UNSPECIFIED'>;

export interface ErasureRule {
  respondWithin: Period;
  /** The latest the answer may be postponed to, counted from the request; null: no extension. */
  extendableTo: Period | null;
  basis: string;
}

export interface OptOutRule {
  honourWithin: Period;
  basis: string;
}

/** How long a subject's identifiers are kept once nothing of theirs is processed any more. */
export interface RetentionRule {
  keepIdentitiesFor: Period;
  basis: string;
}

export interface DeadlinePolicy {
  version: string;
  /** Epoch ms from which events recorded by Lethe fall under this version. */
  effectiveFrom: number;
  erasure: Record<RegulatedJurisdiction, ErasureRule>;
  optOut: Record<RegulatedJurisdiction, OptOutRule>;
  identityRetention: Record<RegulatedJurisdiction, RetentionRule>;
}

const GDPR_ERASURE: ErasureRule = {
  respondWithin: calendarMonths(1),
  extendableTo: calendarMonths(3),
  basis: 'Art. 12(3): one month, extendable by two further months',
};

const GDPR_OBJECTION: OptOutRule = {
  honourWithin: calendarMonths(1),
  basis: 'Art. 12(3) and 21: act on an objection without undue delay, within one month',
};

const GDPR_RETENTION: RetentionRule = {
  keepIdentitiesFor: calendarMonths(24),
  basis:
    'Art. 5(1)(e) storage limitation, with Art. 5(2) accountability: identifiers kept to honour and demonstrate the ' +
    'objection or withdrawal for 24 months after the last one (the subject id keeps the restriction in force after that)',
};

/** Oldest first. Not exported: the functions below pick the version for a given instant. */
const DEADLINE_POLICIES: readonly DeadlinePolicy[] = [
  {
    version: 'deadlines/2025-01-01',
    effectiveFrom: 0,
    erasure: {
      GDPR: GDPR_ERASURE,
      UK_GDPR: GDPR_ERASURE,
      CCPA: {
        respondWithin: calendarDays(45),
        extendableTo: calendarDays(90),
        basis: 'Cal. Civ. Code 1798.130(a)(2): 45 days, extendable once by 45 days',
      },
      LGPD: {
        respondWithin: calendarDays(15),
        extendableTo: null,
        basis: 'LGPD Art. 19(II): complete answer within 15 days',
      },
    },
    optOut: {
      GDPR: GDPR_OBJECTION,
      UK_GDPR: GDPR_OBJECTION,
      CCPA: {
        honourWithin: businessDays(15),
        basis: 'CCPA Regulations 7026(f): opt-out of sale/sharing within 15 business days',
      },
      LGPD: { honourWithin: calendarDays(15), basis: 'LGPD Art. 18 and 19: 15 days' },
    },
    identityRetention: {
      GDPR: GDPR_RETENTION,
      UK_GDPR: GDPR_RETENTION,
      CCPA: {
        keepIdentitiesFor: calendarMonths(24),
        basis: 'CCPA Regulations 7101(a): records of requests and how they were answered kept for 24 months',
      },
      LGPD: {
        keepIdentitiesFor: calendarMonths(24),
        basis: 'LGPD Art. 15(III) and 16: data ends with the processing, kept only to meet a legal obligation (24 months)',
      },
    },
  },
];

const REGULATED: readonly RegulatedJurisdiction[] = ['GDPR', 'UK_GDPR', 'CCPA', 'LGPD'];

/** The version of the deadline rules in force today. Not the consent policy_version of events. */
export const DEADLINE_POLICY_VERSION = DEADLINE_POLICIES[DEADLINE_POLICIES.length - 1].version;

export function deadlinePolicyAt(at: number): DeadlinePolicy {
  const inForce = DEADLINE_POLICIES.filter((policy) => policy.effectiveFrom <= at);
  return inForce.length > 0 ? inForce[inForce.length - 1] : DEADLINE_POLICIES[0];
}

export interface ErasureDeadline {
  dueAt: number;
  /** Null when the jurisdiction allows no extension. */
  extendableTo: number | null;
}

/**
 * When an erasure request must be answered. UNSPECIFIED takes the strictest rule of all: the
 * earliest due date, and no extension unless every jurisdiction allows one.
 */
export function erasureDeadline(jurisdiction: Jurisdiction, requestedAt: number): ErasureDeadline {
  const rules = deadlinePolicyAt(requestedAt).erasure;
  const deadlineUnder = (regulated: RegulatedJurisdiction): ErasureDeadline => {
    const { respondWithin, extendableTo } = rules[regulated];
    return {
      dueAt: addPeriod(requestedAt, respondWithin),
      extendableTo: extendableTo === null ? null : addPeriod(requestedAt, extendableTo),
    };
  };
  if (jurisdiction !== 'UNSPECIFIED') return deadlineUnder(jurisdiction);

  const all = REGULATED.map(deadlineUnder);
  const extensions = all.map((deadline) => deadline.extendableTo);
  return {
    dueAt: Math.min(...all.map((deadline) => deadline.dueAt)),
    extendableTo: extensions.includes(null) ? null : Math.min(...(extensions as number[])),
  };
}

/** When every system must honour an opt-out. UNSPECIFIED takes the earliest of all rules. */
export function optOutDeadline(jurisdiction: Jurisdiction, recordedAt: number): number {
  const rules = deadlinePolicyAt(recordedAt).optOut;
  const dueUnder = (regulated: RegulatedJurisdiction) => addPeriod(recordedAt, rules[regulated].honourWithin);
  return jurisdiction === 'UNSPECIFIED' ? Math.min(...REGULATED.map(dueUnder)) : dueUnder(jurisdiction);
}

/**
 * Until when a subject's identifiers are kept after `recordedAt`, the time Lethe recorded the fact
 * after which nothing of theirs was processed any more (docs/adr/0022). UNSPECIFIED takes the
 * shortest rule of all: keeping less is the side to err on.
 */
export function identityRetentionEnd(jurisdiction: Jurisdiction, recordedAt: number): number {
  const rules = deadlinePolicyAt(recordedAt).identityRetention;
  const endUnder = (regulated: RegulatedJurisdiction) => addPeriod(recordedAt, rules[regulated].keepIdentitiesFor);
  return jurisdiction === 'UNSPECIFIED' ? Math.min(...REGULATED.map(endUnder)) : endUnder(jurisdiction);
}

/**
 * Crypto-shredding (docs/adr/0018): the subject's data key is destroyed once an erasure of ALL
 * their data has completed, in every jurisdiction, since nothing is left that their identifiers
 * could still be needed to find. An erasure of some purposes keeps the relationship, so it keeps
 * the key. A withdrawal, objection or opt-out keeps it for the identity retention of its
 * jurisdiction (identityRetentionEnd, docs/adr/0022), while nothing is granted since.
 */
export function shredsKeyOnCompletion(request: Pick<ErasureRequestState, 'requested' | 'status' | 'scope'>): boolean {
  return request.requested && request.status === 'completed' && request.scope === 'ALL';
}
