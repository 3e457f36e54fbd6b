import { InvalidIssueRequest, jobsFromRequest, MAX_SUBJECTS_PER_REQUEST } from './jobs';

function refusal(body: unknown): InvalidIssueRequest {
  try {
    jobsFromRequest(body);
  } catch (error) {
    if (error instanceof InvalidIssueRequest) return error;
    throw error;
  }
  throw new Error('the request was accepted');
}

it('makes one job per distinct subject', () => {
  expect(jobsFromRequest({ subjects: ['subj-1', 'cust_00042', 'subj-1'], issue: 7 })).toEqual([
    { subjectId: 'subj-1', issue: 7 },
    { subjectId: 'cust_00042', issue: 7 },
  ]);
});

it('refuses a bad issue, naming the field', () => {
  for (const issue of [undefined, 0, -1, 1.5, '7', 1_000_001]) expect(refusal({ subjects: ['subj-1'], issue }).field).toBe('issue');
});

it('refuses an empty, oversized or non-list subjects', () => {
  for (const subjects of [undefined, [], 'subj-1', Array.from({ length: MAX_SUBJECTS_PER_REQUEST + 1 }, (_, i) => `subj-${i}`)]) {
    expect(refusal({ subjects, issue: 1 }).field).toBe('subjects');
  }
  expect(jobsFromRequest({ subjects: Array.from({ length: MAX_SUBJECTS_PER_REQUEST }, (_, i) => `subj-${i}`), issue: 1 })).toHaveLength(MAX_SUBJECTS_PER_REQUEST);
});

it('refuses what is not an opaque id, without quoting it', () => {
  const error = refusal({ subjects: ['subj-1', 'ada@example.com'], issue: 1 });
  expect(error.field).toBe('subjects[1]');
  expect(error.message).not.toContain('ada');
  for (const subject of ['', 'Ada Lovelace', 42, 'x'.repeat(129)]) expect(refusal({ subjects: [subject], issue: 1 }).field).toBe('subjects[0]');
});

it('refuses bodies that are not objects, or carry other fields', () => {
  for (const body of [null, [], 'x', 7]) expect(refusal(body).field).toBe('body');
  expect(refusal({ subjects: ['subj-1'], issue: 1, email: 'ada@example.com' }).message).toBe('the body may hold only subjects and issue');
});
