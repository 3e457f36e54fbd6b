import type { ConsentEvent } from '@lethe/contracts';
import { decide } from './decide';
import { DomainError } from './errors';
import { initialState } from './state';
import { given } from './testing/given-when-then';
import {
  aMetadata,
  anEvent,
  erasureRequested,
  granted,
  MINUTE,
  objected,
  requestCompleted,
  stepCompleted,
  T0,
} from './testing/events';

const NOW = aMetadata().now;

/** The event decide should append, with the envelope aMetadata() describes. */
const appended = (payload: ConsentEvent['payload'], fields: Partial<ConsentEvent> = {}) =>
  anEvent(payload, {
    event_id: 'evt-new',
    occurred_at: NOW,
    recorded_at: NOW,
    source: 'WEB',
    actor: 'consent-api',
    correlation_id: 'corr-1',
    ...fields,
  });

describe('decide: GrantConsent', () => {
  it('appends ConsentGranted under the policy version shown', () => {
    given([])
      .when({ type: 'GrantConsent', purposes: ['ads', 'email'], policyVersion: 'privacy-v4' })
      .then([appended({ type: 'ConsentGranted' }, { purposes: ['ads', 'email'], policy_version: 'privacy-v4' })]);
  });

  it('appends a grant again when the subject accepts a newer policy', () => {
    given([granted('e1', ['ads'], { policy_version: 'privacy-v3' })])
      .when({ type: 'GrantConsent', purposes: ['ads'], policyVersion: 'privacy-v4' })
      .then([appended({ type: 'ConsentGranted' }, { purposes: ['ads'], policy_version: 'privacy-v4' })]);
  });

  it('takes occurred_at from the producer when given', () => {
    given([])
      .when({ type: 'GrantConsent', purposes: ['ads'], policyVersion: 'v1' }, aMetadata({ occurredAt: T0 - MINUTE }))
      .then([
        appended({ type: 'ConsentGranted' }, { purposes: ['ads'], policy_version: 'v1', occurred_at: T0 - MINUTE }),
      ]);
  });

  it('refuses a purpose the subject objected to', () => {
    given([objected('e1', ['ads'])])
      .when({ type: 'GrantConsent', purposes: ['email', 'ads'], policyVersion: 'v1' })
      .thenRejected('illegal_state', 'objection_active');
  });

  it('refuses every purpose after an objection to all processing', () => {
    given([objected('e1', [])])
      .when({ type: 'GrantConsent', purposes: ['email'], policyVersion: 'v1' })
      .thenRejected('illegal_state', 'objection_active');
  });

  it('still grants purposes nobody objected to', () => {
    const { decision } = given([objected('e1', ['ads'])]).when({
      type: 'GrantConsent',
      purposes: ['email'],
      policyVersion: 'v1',
    });
    expect(decision.kind).toBe('append');
  });

  it('refuses while an erasure request is open, even one known only from an ack', () => {
    given([erasureRequested('e1', 'req-1', ['sql'])])
      .when({ type: 'GrantConsent', purposes: ['ads'], policyVersion: 'v1' })
      .thenRejected('illegal_state', 'erasure_in_progress');
    given([stepCompleted('e1', 'req-1', 'sql')])
      .when({ type: 'GrantConsent', purposes: ['ads'], policyVersion: 'v1' })
      .thenRejected('illegal_state', 'erasure_in_progress');
  });

  it('grants again once the erasure is completed', () => {
    const { decision } = given([erasureRequested('e1', 'req-1', []), requestCompleted('e2', 'req-1')]).when({
      type: 'GrantConsent',
      purposes: ['ads'],
      policyVersion: 'v1',
    });
    expect(decision.kind).toBe('append');
  });

  it('validates purposes and policy version, naming the field', () => {
    given([])
      .when({ type: 'GrantConsent', purposes: [], policyVersion: 'v1' })
      .thenRejected('validation', 'purposes_empty');
    given([])
      .when({ type: 'GrantConsent', purposes: ['ads', 'Ads!'], policyVersion: 'v1' })
      .thenRejected('validation', 'purpose_invalid');
    given([])
      .when({ type: 'GrantConsent', purposes: ['ads'], policyVersion: '' })
      .thenRejected('validation', 'policy_version_missing');

    const decision = decide(
      { type: 'GrantConsent', purposes: ['ads', 'jane@example.com'], policyVersion: 'v1' },
      initialState(aMetadata().subjectId),
      aMetadata(),
    );
    const error = (decision as { error: DomainError }).error;
    expect(error.field).toBe('purposes[1]');
    expect(error.message).toContain('purposes[1]');
    expect(error.message).not.toContain('jane');
  });

  it('accepts purpose names up to 64 characters of [a-z0-9_.-], starting with a letter', () => {
    const purpose = `a${'b'.repeat(63)}`;
    const { decision } = given([]).when({ type: 'GrantConsent', purposes: [purpose], policyVersion: 'v1' });
    expect(decision.kind).toBe('append');
    given([])
      .when({ type: 'GrantConsent', purposes: [`${purpose}c`], policyVersion: 'v1' })
      .thenRejected('validation', 'purpose_invalid');
    given([])
      .when({ type: 'GrantConsent', purposes: ['1ads'], policyVersion: 'v1' })
      .thenRejected('validation', 'purpose_invalid');
  });
});

describe('decide: withdrawals, objections and opt-outs are always accepted', () => {
  const duringErasureUnderObjection = [objected('e1', []), erasureRequested('e2', 'req-1', ['sql'])];

  it('appends ConsentWithdrawn', () => {
    given(duringErasureUnderObjection)
      .when({ type: 'WithdrawConsent', purposes: ['ads'] })
      .then([appended({ type: 'ConsentWithdrawn' }, { purposes: ['ads'] })]);
  });

  it('appends ObjectionRaised, with no purposes meaning all', () => {
    given(duringErasureUnderObjection)
      .when({ type: 'RaiseObjection', purposes: [], reason: null })
      .then([appended({ type: 'ObjectionRaised', reason: null })]);
  });

  it('appends OptOutRecorded with the jurisdiction of the request', () => {
    given(duringErasureUnderObjection)
      .when({ type: 'RecordOptOut', kinds: ['SALE', 'SHARING'] }, aMetadata({ jurisdiction: 'CCPA', source: 'GPC' }))
      .then([
        appended({ type: 'OptOutRecorded', kinds: ['SALE', 'SHARING'] }, { jurisdiction: 'CCPA', source: 'GPC' }),
      ]);
  });

  it('still validates them', () => {
    given([]).when({ type: 'WithdrawConsent', purposes: [] }).thenRejected('validation', 'purposes_empty');
    given([]).when({ type: 'RecordOptOut', kinds: [] }).thenRejected('validation', 'kinds_empty');
    given([])
      .when({ type: 'RecordOptOut', kinds: ['SELLING' as never] })
      .thenRejected('validation', 'kind_invalid');
    given([])
      .when({ type: 'RaiseObjection', purposes: ['Marketing'], reason: null })
      .thenRejected('validation', 'purpose_invalid');
  });

  it('refuses metadata of another subject', () => {
    given([])
      .when({ type: 'WithdrawConsent', purposes: ['ads'] }, aMetadata({ subjectId: 'subj-other' }))
      .thenRejected('validation', 'subject_mismatch');
  });

  it('does not share arrays with the command', () => {
    const purposes = ['ads'];
    const { decision } = given([]).when({ type: 'WithdrawConsent', purposes });
    purposes.push('email');
    expect((decision as { events: ConsentEvent[] }).events[0].purposes).toEqual(['ads']);
  });
});
