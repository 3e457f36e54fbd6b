import type { ConsentEvent } from '@lethe/contracts';
import { evolve } from './evolve';
import { initialState, type SubjectState } from './state';

/** One subject's state from its events, in log order. Events of another subject throw. */
export function fold(events: readonly ConsentEvent[], subjectId: string): SubjectState {
  return events.reduce(evolve, initialState(subjectId));
}

/** Every subject's state from a log (or a slice of one) holding many subjects. */
export function replay(events: readonly ConsentEvent[]): Record<string, SubjectState> {
  const states = new Map<string, SubjectState>();
  for (const event of events) {
    const state = states.get(event.subject_id) ?? initialState(event.subject_id);
    states.set(event.subject_id, evolve(state, event));
  }
  return Object.fromEntries(states);
}

/**
 * Canonical JSON of a state: object keys sorted at every level, no whitespace. Two folds of
 * the same log give the same bytes, so a replay can be checked against the live projection
 * with a string comparison or a hash.
 */
export function serializeState(state: SubjectState): string {
  return canonicalJson(state);
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
