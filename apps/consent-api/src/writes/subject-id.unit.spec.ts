import { subjectIdProblem } from './subject-id.pipe';

describe('subjectIdProblem', () => {
  it.each([
    ['an e-mail address', 'ada@example.com'],
    ['a phone number with spaces', '+44 20 7946 0958'],
    ['an international number with dashes', '0049-170-1234567'],
    ['a number with dots', '020.7946.0958'],
    ['a number with a slash', '030/12345678'],
    ['a number with brackets', '(030)1234567'],
    ['a full name', 'Ada Lovelace'],
    ['a name with a dot', 'Ada.Lovelace'],
    ['a name with an underscore', 'Grace_Hopper'],
    ['three names with dashes', 'Alan-Mathison-Turing'],
    ['a name with accents', 'Zoë Müller'],
    ['the empty string', ''],
    ['129 characters', 'x'.repeat(129)],
  ])('refuses %s', (_name, value) => {
    expect(subjectIdProblem(value)).toMatch(/^subjectId must be an opaque id/);
  });

  it('never quotes the value it refuses', () => {
    expect(subjectIdProblem('0049-170-1234567')).not.toContain('1234567');
    expect(subjectIdProblem('Ada.Lovelace')).not.toContain('Ada');
  });

  it.each([
    ['subj-123'],
    ['cust_00042'],
    ['u-9f8a'],
    ['3f2b8c1e-9d4a-4e6b-8f00-1a2b3c4d5e6f'],
    ['12345678-1234-4234-8234-123456789012'],
    ['00042'],
    ['order:2026-01-15'],
    ['x'.repeat(128)],
    ['ACME.customer.42'],
  ])('accepts the opaque id %s', (value) => {
    expect(subjectIdProblem(value)).toBeNull();
  });
});
