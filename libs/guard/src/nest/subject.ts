/**
 * Where a guarded handler's subject id comes from: the name of an HTTP route parameter or of a
 * field of a message payload, or a function of the input (the HTTP request, or the payload).
 */
export type SubjectSource = string | ((input: unknown) => string | undefined);

export const DEFAULT_SUBJECT_SOURCE = 'subjectId';

/** The subject id, or why there is none; `problem` never quotes the input (it may be personal data). */
export type SubjectLookup = { subjectId: string } | { problem: string };

/** The subject of an HTTP request: a route parameter by name, or the function applied to the request. */
export function subjectOfRequest(request: unknown, source: SubjectSource): SubjectLookup {
  if (typeof source === 'function') return fromFunction(request, source);
  const params = (request as { params?: unknown } | null | undefined)?.params;
  return checked(fieldOf(params, source), `route parameter "${source}"`);
}

/** The subject of a message payload: a field by name, or the function applied to the payload. */
export function subjectOfMessage(data: unknown, source: SubjectSource): SubjectLookup {
  if (typeof source === 'function') return fromFunction(data, source);
  return checked(fieldOf(data, source), `field "${source}"`);
}

function fieldOf(container: unknown, name: string): unknown {
  if (typeof container !== 'object' || container === null) return undefined;
  return Object.prototype.hasOwnProperty.call(container, name) ? (container as Record<string, unknown>)[name] : undefined;
}

function fromFunction(input: unknown, source: (input: unknown) => string | undefined): SubjectLookup {
  let value: unknown;
  try {
    value = source(input);
  } catch {
    // Its message may quote the input: say only that it failed.
    return { problem: 'no subject id: the subjectFrom function failed' };
  }
  return checked(value, 'the subjectFrom function');
}

function checked(value: unknown, where: string): SubjectLookup {
  if (typeof value === 'string' && value.length > 0) return { subjectId: value };
  return { problem: `no subject id: ${where} is missing, empty or not a string` };
}
