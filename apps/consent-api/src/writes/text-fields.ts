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
 * A client's event id: a UUID of any version but 5. Lethe derives the ids of the facts it writes
 * itself (acknowledgements, completions, keyed writes) as version-5 UUIDs from public parts; a
 * client choosing one of those ids first would make the fold skip the real fact as a repeat.
 */
const CLIENT_EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-46-9a-f][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function IsClientEventId(): PropertyDecorator {
  return Matches(CLIENT_EVENT_ID, { message: 'eventId must be a UUID of a version other than 5 (Lethe derives its own ids as version 5), e.g. a random version 4' });
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
