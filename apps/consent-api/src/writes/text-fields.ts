import { Matches, ValidateBy, ValidationOptions } from 'class-validator';

/**
 * What text the API accepts. Whatever reaches consent.log stays there for good, so the fields
 * that would carry prose (correlationId, reasons) take codes only: prose invites a name or an
 * e-mail address onto a log that can never be edited. Free text that must stay free (identity
 * values, encrypted before they reach the log) may hold no control characters.
 */
export const CODE = /^[A-Za-z0-9._:-]{1,128}$/;
export const CODE_RULE = '1-128 letters, digits, dots, colons, dashes or underscores';

/** A code such as `complex_request` or `checkout:42`, never prose. */
export function IsCode(field: string): PropertyDecorator {
  return Matches(CODE, { message: `${field} must be a code of ${CODE_RULE}, never free text` });
}

/**
 * C0 controls (NUL included), DEL, C1 controls, or half of a surrogate pair without its other
 * half: none of them belong in text, and some break logs, terminals or the encoders downstream.
 */
export function hasControlOrLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) return true;
    if (unit >= 0xdc00 && unit <= 0xdfff) return true;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    }
  }
  return false;
}

export function HasNoControlCharacters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasNoControlCharacters',
      validator: {
        validate: (value) => typeof value === 'string' && !hasControlOrLoneSurrogate(value),
        defaultMessage: (args) => `${args?.property ?? 'the value'} must hold no control characters or lone surrogates`,
      },
    },
    options,
  );
}
