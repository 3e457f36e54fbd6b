import { BadRequestException, Injectable, PipeTransform } from '@nestjs/common';
import { CODE, CODE_RULE } from './text-fields';

/** Subject ids are opaque: anything that could be an e-mail, phone number or name is refused. */
export const SUBJECT_ID = CODE;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Digits and the separators people write phone numbers with, e.g. 0049-170-1234567 or 020.7946.0958. */
const PHONE = /^[0-9 ().\-/]+$/;
const PHONE_DIGITS = 7;
/** Capitalised words of letters only, joined by a separator: Ada.Lovelace, Grace_Hopper, Alan-Mathison-Turing. */
const NAME = /^[A-Z][a-z]+(?:[ ._-][A-Z][a-z]+)+$/;

/**
 * Why a subject id is not an opaque id, or null when it is. E-mail addresses, `+` numbers and
 * names with spaces fail the character rule; phone numbers and names written with the
 * separators an id may hold are told by their shape. A UUID is opaque even when all digits.
 */
export function subjectIdProblem(value: string): string | null {
  if (!SUBJECT_ID.test(value)) return `subjectId must be an opaque id: ${CODE_RULE}`;
  if (UUID.test(value)) return null;
  if (PHONE.test(value) && value.replace(/[^0-9]/g, '').length >= PHONE_DIGITS && /[^0-9]/.test(value)) {
    return 'subjectId must be an opaque id, not a phone number';
  }
  if (NAME.test(value)) return 'subjectId must be an opaque id, not a name';
  return null;
}

@Injectable()
export class SubjectIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    const message = subjectIdProblem(value);
    if (message) throw new BadRequestException({ error: 'validation', field: 'subjectId', message });
    return value;
  }
}

/** An id in a path (a request id, a system name) that must be a code; the error names the parameter. */
export class CodeParamPipe implements PipeTransform<string, string> {
  constructor(
    private readonly field: string,
    private readonly pattern: RegExp = CODE,
  ) {}

  transform(value: string): string {
    if (!this.pattern.test(value)) {
      throw new BadRequestException({ error: 'validation', field: this.field, message: `${this.field} must be a code: ${CODE_RULE}` });
    }
    return value;
  }
}
