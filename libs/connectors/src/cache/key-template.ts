import { IDENTITY_TYPES, Identity } from '@lethe/identity-vault';
import type { ErasureTarget } from '../connector';

/**
 * Key templates name where a subject's data sits in a key-value system: `session:{subjectId}`,
 * `profile:{identity:email}`, `cart:{subjectId}:*`. Shared by the cache and kafka connectors.
 *
 * Braces are reserved: every `{…}` must be a known placeholder, and a literal brace is written
 * doubled (`{{`, `}}`), so a Redis hash tag reads `session:{{{subjectId}}}` → `session:{42}`.
 * A typo such as `{subjectID}` is then an error at start, not a key that silently never matches.
 */
export type Placeholder = { kind: 'subjectId' } | { kind: 'identity'; type: Identity['type'] };

export type TemplatePart = { literal: string } | { placeholder: Placeholder };

const TOKEN = /\{\{|\}\}|\{[^{}]*\}|[{}]/g;

export const PLACEHOLDER_HELP = `{subjectId} or {identity:<type>} with type one of ${IDENTITY_TYPES.join(', ')}`;

/** Thrown by `parseTemplate`; the message names the template's fault, never a subject's value. */
export class TemplateError extends Error {}

export function parseTemplate(template: string): TemplatePart[] {
  if (template === '') throw new TemplateError('must not be empty');
  const parts: TemplatePart[] = [];
  let literal = '';
  let last = 0;
  for (const match of template.matchAll(TOKEN)) {
    const token = match[0];
    literal += template.slice(last, match.index);
    last = (match.index ?? 0) + token.length;
    if (token === '{{' || token === '}}') literal += token[0];
    else if (token === '{' || token === '}') throw new TemplateError(`unpaired "${token}" (write a literal brace doubled: "${token}${token}")`);
    else {
      if (literal) parts.push({ literal });
      literal = '';
      parts.push({ placeholder: placeholderOf(token) });
    }
  }
  literal += template.slice(last);
  if (literal) parts.push({ literal });
  if (!parts.some((part) => 'placeholder' in part)) {
    // Without one, every subject's erasure would hit the same key(s): someone else's data.
    throw new TemplateError(`needs a placeholder (${PLACEHOLDER_HELP})`);
  }
  return parts;
}

function placeholderOf(token: string): Placeholder {
  const name = token.slice(1, -1);
  if (name === 'subjectId') return { kind: 'subjectId' };
  const type = name.startsWith('identity:') ? name.slice('identity:'.length) : undefined;
  if (type !== undefined && (IDENTITY_TYPES as string[]).includes(type)) return { kind: 'identity', type: type as Identity['type'] };
  throw new TemplateError(`unknown placeholder "${token}" (use ${PLACEHOLDER_HELP})`);
}

/** The values one placeholder stands for: distinct and non-empty, so '' never makes a key. */
export function placeholderValues(placeholder: Placeholder, target: Pick<ErasureTarget, 'subjectId' | 'identities'>): string[] {
  if (placeholder.kind === 'subjectId') return target.subjectId ? [target.subjectId] : [];
  const values = target.identities.filter((identity) => identity.type === placeholder.type && identity.value !== '');
  return [...new Set(values.map((identity) => identity.value))];
}

/**
 * The identity types some template needs and the target does not carry (no value, or only empty
 * ones), in order of first use. A connector checks this before acting: a template it cannot fill
 * would otherwise be skipped silently and the step reported done.
 */
export function missingIdentityTypes(templates: readonly TemplatePart[][], target: Pick<ErasureTarget, 'subjectId' | 'identities'>): Identity['type'][] {
  const missing = new Set<Identity['type']>();
  for (const part of templates.flat()) {
    if (!('placeholder' in part) || part.placeholder.kind !== 'identity') continue;
    if (placeholderValues(part.placeholder, target).length === 0) missing.add(part.placeholder.type);
  }
  return [...missing];
}

/**
 * Every key the template names for the target: one per combination of values (a subject may
 * carry two emails), none when a placeholder has no value (see `missingIdentityTypes`).
 * `escape` is applied to inserted values only, never to the template's own text.
 */
export function fillTemplate(
  parts: TemplatePart[],
  target: Pick<ErasureTarget, 'subjectId' | 'identities'>,
  escape: (value: string) => string = (value) => value,
): string[] {
  let keys = [''];
  for (const part of parts) {
    const values = 'literal' in part ? [part.literal] : placeholderValues(part.placeholder, target).map(escape);
    keys = keys.flatMap((prefix) => values.map((value) => prefix + value));
  }
  return [...new Set(keys)];
}

/**
 * Escapes Redis glob metacharacters, so a subject id like `a*` matches only itself and cannot
 * widen a SCAN pattern to other subjects' keys.
 */
export function escapeGlob(value: string): string {
  return value.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}
