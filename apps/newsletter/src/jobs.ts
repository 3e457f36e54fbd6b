/** One send: an issue of the newsletter to one subject. */
export interface SendJob {
  subjectId: string;
  issue: number;
}

/** At most this many subjects per POST /v1/newsletter/issues. */
export const MAX_SUBJECTS_PER_REQUEST = 1_000;

/** Opaque subject ids as Lethe accepts them: no e-mail addresses (no "@"), no spaces. */
const SUBJECT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export class InvalidIssueRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The jobs a request asks for, one per distinct subject; refuses naming the field, never quoting a value. */
export function jobsFromRequest(body: unknown): SendJob[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidIssueRequest('body', 'the body must be a JSON object {subjects, issue}');
  const { subjects, issue, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new InvalidIssueRequest('body', 'the body may hold only subjects and issue');
  if (!Number.isInteger(issue) || (issue as number) < 1 || (issue as number) > 1_000_000) throw new InvalidIssueRequest('issue', 'issue must be a whole number from 1 to 1000000');
  if (!Array.isArray(subjects) || subjects.length === 0 || subjects.length > MAX_SUBJECTS_PER_REQUEST) {
    throw new InvalidIssueRequest('subjects', `subjects must be a list of 1 to ${MAX_SUBJECTS_PER_REQUEST} subject ids`);
  }
  subjects.forEach((subject, i) => {
    if (typeof subject !== 'string' || !SUBJECT_ID.test(subject)) {
      throw new InvalidIssueRequest(`subjects[${i}]`, `subjects[${i}] must be an opaque subject id: 1 to 128 letters, digits, ".", "_", ":" or "-"`);
    }
  });
  return [...new Set(subjects as string[])].map((subjectId) => ({ subjectId, issue: issue as number }));
}
