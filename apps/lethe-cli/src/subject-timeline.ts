import { Kafka, Partitioners } from 'kafkajs';
import { ConsentEvent, ConsentEventCodec } from '@lethe/contracts';
import { initialState, SubjectState } from '@lethe/consent-domain';
import { decodeRecord, DecodedRecord, foldRecords } from '@lethe/projection';
import { logEnds, scanLog } from './log-scan';

export interface SubjectRecords {
  partition: number;
  /** The subject's records (its key), in log order, decoded as the fold takes them. */
  records: DecodedRecord[];
}

/**
 * The partition Lethe's producers put a subject's records on: the default partitioner (murmur2
 * of the key, as Kafka's Java client), over the topic's partition count.
 */
export function partitionOf(subjectId: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  return Partitioners.DefaultPartitioner()({ topic: '', partitionMetadata, message: { key: subjectId, value: null } });
}

/**
 * Every record of one subject on consent.log, up to the log's end as of now. The log has no
 * index by subject: this reads the subject's whole partition from offset 0, and only it.
 */
export async function subjectRecords(kafka: Kafka, codec: ConsentEventCodec, topic: string, subjectId: string): Promise<SubjectRecords> {
  const ends = await logEnds(kafka, topic);
  const partition = partitionOf(subjectId, ends.length);
  const records: DecodedRecord[] = [];
  await scanLog(kafka, {
    topic,
    ends: ends.filter((p) => p.partition === partition),
    concurrency: 1,
    onRecords: async (_partition, messages) => {
      const own = messages.filter((message) => message.key?.toString() === subjectId);
      records.push(...(await Promise.all(own.map((message) => decodeRecord(codec, message)))));
    },
  });
  return { partition, records };
}

/** How an identifier is shown: never in clear unless revealed. */
export type IdentityView = null | '[encrypted]' | '[shredded]' | string[];

/** One fact of the timeline, as printed and as --json gives it. */
export interface FactView {
  position: string;
  occurredAt: string | null;
  recordedAt: string | null;
  type: string;
  detail: string | null;
  purposes: string[];
  source: string | null;
  actor: string | null;
  jurisdiction: string | null;
  policyVersion: string | null;
  eventId: string | null;
  identities: IdentityView;
  /** Why the fold did not apply it (undecodable, not applicable), or that it repeats an earlier fact. */
  note?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The payload's own facts worth a column: request, system, kinds; codes only, never prose. */
function detailOf(event: ConsentEvent): string | null {
  const p = event.payload as unknown as Record<string, unknown>;
  const parts = [
    p.request_id != null && `request=${String(p.request_id)}`,
    event.payload.type === 'KeyShredded' && `cause=${event.payload.cause}`,
    p.system !== undefined && `system=${String(p.system)}`,
    p.reapply_id !== undefined && `reapply=${String(p.reapply_id)}`,
    p.scope !== undefined && `scope=${String(p.scope)}`,
    Array.isArray(p.kinds) && `kinds=${p.kinds.join(',')}`,
    p.action !== undefined && `action=${String(p.action)}`,
  ].filter((part): part is string => typeof part === 'string');
  return parts.length > 0 ? parts.join(' ') : null;
}

export function factView(partition: number, record: DecodedRecord, identities: IdentityView, note?: string): FactView {
  const position = `${partition}@${record.message.offset}`;
  const event = record.event;
  if (!event) {
    return { position, occurredAt: null, recordedAt: null, type: 'undecodable', detail: null, purposes: [], source: null, actor: null, jurisdiction: null, policyVersion: null, eventId: null, identities: null, note };
  }
  return {
    position,
    occurredAt: iso(event.occurred_at),
    recordedAt: iso(event.recorded_at),
    type: event.payload.type,
    detail: detailOf(event),
    purposes: [...event.purposes],
    source: event.source,
    actor: event.actor,
    jurisdiction: event.jurisdiction,
    policyVersion: event.policy_version,
    eventId: event.event_id,
    identities,
    ...(note ? { note } : {}),
  };
}

/** One line per fact: time, type, purposes, source, actor, jurisdiction, policy version, position. */
export function factLine(fact: FactView): string {
  const identities = fact.identities === null ? '' : `  identities=${Array.isArray(fact.identities) ? fact.identities.join(',') : fact.identities}`;
  return [
    fact.occurredAt ?? '-'.padEnd(24),
    fact.type,
    ...(fact.detail ? [fact.detail] : []),
    `purposes=${fact.purposes.join(',') || '-'}`,
    `source=${fact.source ?? '-'}`,
    `actor=${fact.actor ?? '-'}`,
    `jurisdiction=${fact.jurisdiction ?? '-'}`,
    `policy=${fact.policyVersion ?? '-'}`,
    fact.position,
  ].join('  ') + identities + (fact.note ? `  (${fact.note})` : '');
}

/**
 * The subject's state after these records, folded as the projector folds them, and a note for
 * each record that changed nothing: not applied (with the fold's reason), or a repeated fact.
 */
export function foldSubject(subjectId: string, partition: number, records: DecodedRecord[]): { state: SubjectState; notes: Map<DecodedRecord, string> } {
  const { changed, rejected } = foldRecords(partition, records, new Map());
  const notes = new Map<DecodedRecord, string>();
  const refused = new Map(rejected.map((r) => [r.message, r.reason]));
  const seen = new Set<string>();
  for (const record of records) {
    const reason = refused.get(record.message);
    if (reason) notes.set(record, `not applied: ${reason}`);
    else if (record.event && seen.has(record.event.event_id)) notes.set(record, 'repeat: no effect');
    if (record.event && !reason) seen.add(record.event.event_id);
  }
  return { state: changed.find((state) => state.subjectId === subjectId) ?? initialState(subjectId), notes };
}
