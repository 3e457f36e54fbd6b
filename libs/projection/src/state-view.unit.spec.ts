import fc from 'fast-check';
import { evolve, initialState, SubjectState } from '@lethe/consent-domain';
import { ConsentEvent } from '@lethe/contracts';
import { toConsentState } from './state-view';

// A state is folded in memory (its purposes in the order the events named them) or loaded from
// PostgreSQL, whose jsonb orders object keys its own way (shorter first, then bytewise). The same
// state must give the same consent.state record either way: readers and the fault suite's checker
// compare records, and a live projector and a replay must publish the same bytes.

const PURPOSES = ['marketing', 'analytics', 'ads', 'personalization', 'research'];

function grant(n: number, purposes: string[]): ConsentEvent {
  return {
    event_id: `evt-${n}`,
    subject_id: 'subj-order',
    occurred_at: 1_000 + n,
    recorded_at: 2_000 + n,
    source: 'API',
    actor: 'test',
    jurisdiction: 'GDPR',
    policy_version: '2026-01',
    purposes,
    correlation_id: null,
    causation_id: null,
    identities: null,
    payload: { type: n % 2 ? 'ConsentGranted' : 'ConsentWithdrawn' },
  } as ConsentEvent;
}

/** What jsonb does to an object's keys: shorter keys first, equal lengths bytewise. */
function throughJsonb(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(throughJsonb);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(keys.map((key) => [key, throughJsonb((value as Record<string, unknown>)[key])]));
}

it('gives the same record for a state folded in memory and the same state read back from jsonb', () => {
  fc.assert(
    fc.property(fc.array(fc.shuffledSubarray(PURPOSES, { minLength: 1 }), { minLength: 1, maxLength: 6 }), (grants) => {
      const state = grants.reduce((s: SubjectState, purposes, i) => evolve(s, grant(i + 1, purposes)), initialState('subj-order'));
      const stored = throughJsonb(JSON.parse(JSON.stringify(state))) as SubjectState;
      expect(JSON.stringify(toConsentState(stored, 0))).toBe(JSON.stringify(toConsentState(state, 0)));
    }),
  );
});
