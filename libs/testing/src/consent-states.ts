import { Admin, Producer } from 'kafkajs';
import { ConsentState, ConsentStateCodec, decisionFor, Decision, OptOutNotice, OptOutNoticeCodec, TopicNames } from '@lethe/contracts';
import { ensureTopics, sendInChunks } from '@lethe/kafka';

/** One record for consent.state: a subject's state, or null for a tombstone. */
export interface StateRecord {
  key: string;
  state: ConsentState | null;
}

/** The names the agreement checks ask about: purposes the states mention, opt-out kinds, and one nobody mentions. */
export const CHECKED_NAMES = ['marketing', 'analytics', 'personalisation', 'SALE', 'SHARING', 'PROFILING', 'never-mentioned'];

const granted = (version: number) => ({ status: 'GRANTED' as const, policy_version: null, at: 1_700_000_000_000, version });
const withdrawn = (version: number) => ({ status: 'WITHDRAWN' as const, policy_version: null, at: 1_700_000_000_000, version });

/** A subject's state of one of many shapes (by `kind`): granted, withdrawn, objected, opted out, erased, erased then granted again, v1-era. */
export function stateOfKind(subject_id: string, kind: number, version: number): ConsentState {
  const base: ConsentState = { subject_id, version, updated_at: 1_700_000_000_000, purposes: {}, opt_outs: [], objections: [], erasure: 'NONE', erasures: [] };
  switch (kind % 9) {
    case 0:
      return { ...base, purposes: { marketing: granted(1), analytics: granted(version) } };
    case 1:
      return { ...base, purposes: { marketing: withdrawn(version), analytics: granted(1) } };
    case 2:
      return { ...base, purposes: { marketing: granted(1), analytics: granted(1) }, objections: ['marketing'] };
    case 3:
      return { ...base, purposes: { marketing: granted(1) }, objections: ['*'] };
    case 4:
      return { ...base, purposes: { marketing: granted(1), personalisation: granted(1) }, opt_outs: ['SALE', 'SHARING'] };
    case 5:
      return { ...base, purposes: { marketing: granted(1) }, erasure: 'OPEN', erasures: [{ scope: 'ALL', purposes: [], version, open: true }] };
    case 6: // erased, then marketing granted again after the erasure
      return { ...base, purposes: { marketing: granted(version), analytics: granted(1) }, erasure: 'COMPLETED', erasures: [{ scope: 'ALL', purposes: [], version: version - 1, open: false }] };
    case 7:
      return { ...base, purposes: { marketing: granted(1), analytics: granted(1) }, erasures: [{ scope: 'PURPOSES', purposes: ['analytics'], version, open: true }] };
    default: // written before erasures were recorded: `erasure` alone stands for everything
      return { ...base, purposes: { marketing: granted(0) }, erasure: 'OPEN' };
  }
}

/**
 * `subjects` subjects' consent.state records as a projector could have written them over time:
 * varied shapes, some with older versions before (and one stale version after) the latest, some
 * tombstoned at the end. Returns the records in write order and each subject's latest (null: tombstoned).
 */
export function variedStateRecords(subjects: number, idPrefix = 'subj'): { records: StateRecord[]; latest: Map<string, ConsentState | null> } {
  const records: StateRecord[] = [];
  const latest = new Map<string, ConsentState | null>();
  for (let i = 0; i < subjects; i++) {
    const key = `${idPrefix}-${i}`;
    const version = 3 + (i % 4);
    if (i % 5 === 0) records.push({ key, state: stateOfKind(key, i + 1, version - 2) }); // an older version first
    const state = stateOfKind(key, i, version);
    records.push({ key, state });
    if (i % 7 === 0) records.push({ key, state: stateOfKind(key, i + 2, version - 1) }); // a stale write after it: ignored
    const tombstoned = i % 97 === 0;
    if (tombstoned) records.push({ key, state: null });
    latest.set(key, tombstoned ? null : state);
  }
  return { records, latest };
}

/** Writes records to consent.state (Avro through the registry, tombstones as null values), keyed by subject. */
export async function writeStateRecords(producer: Producer, codec: ConsentStateCodec, topic: string, records: StateRecord[]): Promise<void> {
  const chunk = 5_000;
  for (let start = 0; start < records.length; start += chunk) {
    const messages = await Promise.all(records.slice(start, start + chunk).map(async ({ key, state }) => ({ key, value: state ? await codec.encode(state) : null })));
    await sendInChunks(producer, topic, messages);
  }
}

export async function writeNotices(producer: Producer, codec: OptOutNoticeCodec, topic: string, notices: OptOutNotice[]): Promise<void> {
  const messages = await Promise.all(notices.map(async (notice) => ({ key: notice.subject_id, value: await codec.encode(notice) })));
  await sendInChunks(producer, topic, messages);
}

/** Lethe's topics under a prefix, as the apps create them (consent.state compacted, consent.opt-outs kept forever). */
export async function createLetheTopics(admin: Admin, names: TopicNames, partitions = 3): Promise<void> {
  await ensureTopics(admin, { names, partitions });
}

/** What a guard-like reader answers: the reason of its decision and the version it used. */
export interface DecisionReader {
  allowed(subjectId: string, name: string): { reason: string; version: number | null };
}

export interface Disagreement {
  subjectId: string;
  name: string;
  expected: { reason: Decision; version: number | null };
  actual: { reason: string; version: number | null };
}

/**
 * Where `guard` disagrees with decisionFor over `expected` (each subject's latest state; null:
 * none, which reads no_record), for every name. The reference a projection is checked against:
 * pass the states read back from wherever they live (consent.state, PostgreSQL).
 */
export function disagreements(guard: DecisionReader, expected: Iterable<[string, ConsentState | null]>, names = CHECKED_NAMES): Disagreement[] {
  const found: Disagreement[] = [];
  for (const [subjectId, state] of expected) {
    for (const name of names) {
      const want = state ? { reason: decisionFor(state, name), version: state.version } : { reason: 'no_record' as const, version: null };
      const got = guard.allowed(subjectId, name);
      if (got.reason !== want.reason || got.version !== want.version) found.push({ subjectId, name, expected: want, actual: { reason: got.reason, version: got.version } });
    }
  }
  return found;
}
