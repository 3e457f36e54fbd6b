import { DomainError } from './errors';
import { evolve } from './evolve';
import { optOutDeadline } from './policies';
import { fold } from './replay';
import { initialState } from './state';
import { anEvent, granted, MINUTE, objected, optedOut, SUBJECT, T0, withdrawn } from './testing/events';

describe('evolve: consent', () => {
  it('grants each purpose with the policy version the subject saw', () => {
    const state = fold([granted('e1', ['ads', 'email'], { occurred_at: T0 - MINUTE })], SUBJECT);
    expect(state.purposes).toEqual({
      ads: { status: 'granted', policyVersion: 'privacy-v3', at: T0 - MINUTE, eventId: 'e1' },
      email: { status: 'granted', policyVersion: 'privacy-v3', at: T0 - MINUTE, eventId: 'e1' },
    });
    expect(state.version).toBe(1);
    expect(state.appliedEventIds).toEqual(['e1']);
  });

  it('lets log order win over occurred_at', () => {
    const state = fold(
      [granted('e1', ['ads'], { occurred_at: T0 + MINUTE }), withdrawn('e2', ['ads'], { occurred_at: T0 })],
      SUBJECT,
    );
    expect(state.purposes.ads).toMatchObject({ status: 'withdrawn', eventId: 'e2', at: T0 });
  });

  it('withdraws every known purpose when a withdrawal names none', () => {
    const state = fold([granted('e1', ['ads', 'email']), withdrawn('e2', [])], SUBJECT);
    expect(Object.values(state.purposes).map((p) => p.status)).toEqual(['withdrawn', 'withdrawn']);
  });

  it('grants nothing when a grant names no purpose', () => {
    const state = fold([granted('e1', [])], SUBJECT);
    expect(state.purposes).toEqual({});
    expect(state.version).toBe(1);
  });

  it('stores purposes named like Object.prototype members as plain entries', () => {
    const state = fold([granted('e1', ['__proto__', 'constructor'])], SUBJECT);
    expect(Object.keys(state.purposes).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(state.purposes)).toBe(Object.prototype);
  });
});

describe('evolve: objections', () => {
  it('records the objection and withdraws the purposes it names', () => {
    const state = fold([granted('e1', ['ads', 'email']), objected('e2', ['ads'])], SUBJECT);
    expect(state.objections).toEqual({ ads: { at: T0, reason: 'direct marketing', eventId: 'e2' } });
    expect(state.purposes.ads.status).toBe('withdrawn');
    expect(state.purposes.email.status).toBe('granted');
  });

  it("records an objection naming no purpose as '*' and withdraws everything", () => {
    const state = fold([granted('e1', ['ads', 'email']), objected('e2', [])], SUBJECT);
    expect(Object.keys(state.objections)).toEqual(['*']);
    expect(state.purposes.ads.status).toBe('withdrawn');
    expect(state.purposes.email.status).toBe('withdrawn');
  });

  it('keeps the first objection to a purpose', () => {
    const state = fold([objected('e1', ['ads']), objected('e2', ['ads'], { occurred_at: T0 + MINUTE })], SUBJECT);
    expect(state.objections.ads.eventId).toBe('e1');
  });
});

describe('evolve: opt-outs', () => {
  it('records each kind with the deadline derived from recorded_at', () => {
    const recordedAt = Date.UTC(2025, 0, 3, 10);
    const state = fold(
      [optedOut('e1', ['SALE', 'SHARING'], { jurisdiction: 'CCPA', source: 'GPC', recorded_at: recordedAt })],
      SUBJECT,
    );
    const expected = { at: T0, source: 'GPC', dueAt: Date.UTC(2025, 0, 24, 10), eventId: 'e1' };
    expect(state.optOuts).toEqual({ SALE: expected, SHARING: expected });
  });

  it('keeps the first opt-out of a kind, so a repeat cannot push its deadline back', () => {
    const state = fold(
      [
        optedOut('e1', ['SALE'], { jurisdiction: 'CCPA' }),
        optedOut('e2', ['SALE', 'PROFILING'], { recorded_at: T0 + 30 * 86_400_000 }),
      ],
      SUBJECT,
    );
    expect(state.optOuts.SALE).toMatchObject({ eventId: 'e1', dueAt: optOutDeadline('CCPA', T0) });
    expect(state.optOuts.PROFILING?.eventId).toBe('e2');
  });
});

describe('evolve: envelope rules', () => {
  it('changes nothing for an event id already applied, even with different content', () => {
    const once = fold([granted('e1', ['ads'])], SUBJECT);
    const again = evolve(once, withdrawn('e1', ['ads']));
    expect(again).toBe(once);
    expect(again.purposes.ads.status).toBe('granted');
  });

  it('refuses an event of another subject', () => {
    const attempt = () => evolve(initialState(SUBJECT), granted('e1', ['ads'], { subject_id: 'subj-other' }));
    expect(attempt).toThrow(DomainError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'validation', reason: 'subject_mismatch' }));
    expect(attempt).not.toThrow(/subj-/);
  });

  it('refuses a payload type it does not know instead of skipping it', () => {
    const unknown = anEvent({ type: 'ConsentFrozen' } as never);
    expect(() => evolve(initialState(SUBJECT), unknown)).toThrow(
      expect.objectContaining({ code: 'validation', reason: 'unknown_event_type' }),
    );
  });

  it('returns a new state and leaves the old one as it was', () => {
    const before = initialState(SUBJECT);
    const after = evolve(before, granted('e1', ['ads']));
    expect(after).not.toBe(before);
    expect(before).toEqual(initialState(SUBJECT));
  });
});
