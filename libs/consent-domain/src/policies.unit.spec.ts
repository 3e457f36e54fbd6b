import { JURISDICTION_SYMBOLS } from '@lethe/contracts';
import fc from 'fast-check';
import { addBusinessDays, addCalendarMonths } from './calendar';
import { DEADLINE_POLICY_VERSION, deadlinePolicyAt, erasureDeadline, optOutDeadline } from './policies';

const at = (iso: string) => Date.parse(iso);
const anInstant = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) });

describe('erasureDeadline', () => {
  it('gives GDPR one calendar month, extendable by two more', () => {
    expect(erasureDeadline('GDPR', at('2025-01-06T09:30:00Z'))).toEqual({
      dueAt: at('2025-02-06T09:30:00Z'),
      extendableTo: at('2025-04-06T09:30:00Z'),
    });
  });

  it('clamps to the last day of a shorter month, leap years included', () => {
    expect(erasureDeadline('GDPR', at('2025-01-31T10:00:00Z'))).toEqual({
      dueAt: at('2025-02-28T10:00:00Z'),
      extendableTo: at('2025-04-30T10:00:00Z'),
    });
    expect(erasureDeadline('UK_GDPR', at('2024-01-31T10:00:00Z')).dueAt).toBe(at('2024-02-29T10:00:00Z'));
    expect(erasureDeadline('GDPR', at('2025-03-31T23:59:59.999Z')).dueAt).toBe(at('2025-04-30T23:59:59.999Z'));
  });

  it('crosses the year end', () => {
    expect(erasureDeadline('UK_GDPR', at('2025-12-15T00:00:00Z'))).toEqual({
      dueAt: at('2026-01-15T00:00:00Z'),
      extendableTo: at('2026-03-15T00:00:00Z'),
    });
  });

  it('gives CCPA 45 days, extendable by 45 more', () => {
    expect(erasureDeadline('CCPA', at('2025-01-06T09:00:00Z'))).toEqual({
      dueAt: at('2025-02-20T09:00:00Z'),
      extendableTo: at('2025-04-06T09:00:00Z'),
    });
  });

  it('gives LGPD 15 days and no extension', () => {
    expect(erasureDeadline('LGPD', at('2025-01-06T09:00:00Z'))).toEqual({
      dueAt: at('2025-01-21T09:00:00Z'),
      extendableTo: null,
    });
  });

  it('holds UNSPECIFIED to the strictest rule: earliest due date, no extension', () => {
    const requestedAt = at('2025-01-06T09:00:00Z');
    expect(erasureDeadline('UNSPECIFIED', requestedAt)).toEqual({
      dueAt: at('2025-01-21T09:00:00Z'),
      extendableTo: null,
    });
    fc.assert(
      fc.property(anInstant, fc.constantFrom(...JURISDICTION_SYMBOLS), (when, jurisdiction) => {
        const strictest = erasureDeadline('UNSPECIFIED', when);
        expect(strictest.dueAt).toBeLessThanOrEqual(erasureDeadline(jurisdiction, when).dueAt);
        expect(erasureDeadline(jurisdiction, when).dueAt).toBeGreaterThan(when);
      }),
    );
  });
});

describe('optOutDeadline', () => {
  it('gives CCPA 15 business days, skipping weekends', () => {
    // Friday 3 January: the first business day counted is Monday 6 January.
    expect(optOutDeadline('CCPA', at('2025-01-03T10:00:00Z'))).toBe(at('2025-01-24T10:00:00Z'));
    // Wednesday 8 January: three weekends fall inside.
    expect(optOutDeadline('CCPA', at('2025-01-08T10:00:00Z'))).toBe(at('2025-01-29T10:00:00Z'));
  });

  it('counts from Monday when the opt-out arrives on a weekend', () => {
    expect(optOutDeadline('CCPA', at('2025-01-04T10:00:00Z'))).toBe(at('2025-01-24T10:00:00Z'));
    expect(optOutDeadline('CCPA', at('2025-01-05T23:00:00Z'))).toBe(at('2025-01-24T23:00:00Z'));
  });

  it('counts public holidays as business days (Martin Luther King Day, 20 January 2025)', () => {
    expect(addBusinessDays(at('2025-01-17T12:00:00Z'), 1)).toBe(at('2025-01-20T12:00:00Z'));
  });

  it('gives LGPD 15 days and GDPR one month', () => {
    expect(optOutDeadline('LGPD', at('2025-01-31T08:00:00Z'))).toBe(at('2025-02-15T08:00:00Z'));
    expect(optOutDeadline('GDPR', at('2025-01-31T08:00:00Z'))).toBe(at('2025-02-28T08:00:00Z'));
  });

  it('holds UNSPECIFIED to the earliest of all rules', () => {
    const recordedAt = at('2025-01-03T10:00:00Z');
    const all = (['GDPR', 'UK_GDPR', 'CCPA', 'LGPD'] as const).map((j) => optOutDeadline(j, recordedAt));
    expect(optOutDeadline('UNSPECIFIED', recordedAt)).toBe(Math.min(...all));
    expect(optOutDeadline('UNSPECIFIED', recordedAt)).toBe(at('2025-01-18T10:00:00Z'));
  });
});

describe('calendar arithmetic', () => {
  it('keeps the time of day and the day of month when it exists', () => {
    expect(addCalendarMonths(at('2025-05-15T13:14:15.016Z'), 1)).toBe(at('2025-06-15T13:14:15.016Z'));
    expect(addCalendarMonths(at('2025-08-31T00:00:00Z'), 1)).toBe(at('2025-09-30T00:00:00Z'));
  });
});

describe('deadline policy versions', () => {
  it('names the version in force', () => {
    expect(DEADLINE_POLICY_VERSION).toMatch(/^deadlines\/\d{4}-\d{2}-\d{2}$/);
    expect(deadlinePolicyAt(at('2025-06-01T00:00:00Z')).version).toBe(DEADLINE_POLICY_VERSION);
  });
});
