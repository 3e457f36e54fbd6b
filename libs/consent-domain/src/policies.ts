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

export interface DeadlinePolicy {
  version: string;
  /** Epoch ms from which events recorded by Lethe fall under this version. */
  effectiveFrom: number;
  erasure: Record<RegulatedJurisdiction, ErasureRule>;
  optOut: Record<RegulatedJurisdiction, OptOutRule>;
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
 * Crypto-shredding (docs/adr/0018): the subject's data key is destroyed once an erasure of ALL
 * their data has completed, in every jurisdiction, since nothing is left that their identifiers
 * could still be needed to find. An erasure of some purposes keeps the relationship, so it keeps
 * the key; so does a withdrawal, objection or opt-out: no jurisdiction Lethe knows requires the
 * identifiers of a person who opted out to be destroyed after a retention period, and the
 * systems that honour the opt-out may still need them. Such a rule would be added here.
 */
export function shredsKeyOnCompletion(request: Pick<ErasureRequestState, 'requested' | 'status' | 'scope'>): boolean {
  return request.requested && request.status === 'completed' && request.scope === 'ALL';
}
