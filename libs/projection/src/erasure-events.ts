import { EntityManager } from 'typeorm';
import type { ConsentEventPayloadType } from '@lethe/contracts';
import type { DecodedRecord, FoldResult } from './batch-folder';

/** The payload types whose log position a certificate may cite. */
const ERASURE_TYPES: ReadonlySet<ConsentEventPayloadType> = new Set([
  'ErasureRequested',
  'ErasureStepCompleted',
  'ErasureStepFailed',
  'ErasureRequestCompleted',
  'ErasureDeadlineExtended',
  'ErasureStepRetryRequested',
]);

export interface ErasureEventRow {
  subject_id: string;
  event_id: string;
  request_id: string;
  type: string;
  system: string | null;
  topic: string;
  partition: number;
  offset: string;
  recorded_at: string;
}

/**
 * The erasure events of one partition's slice with their log coordinates, in offset order.
 * Rejected records are left out (they changed nothing), and an id seen twice for a subject keeps
 * its first position: the fold applies the first and ignores the repeat. Keyed by (subject, event
 * id), as the fold dedups: a subject's events all sit on one partition, so "first" never depends
 * on the order in which partitions are folded.
 */
export function erasureEventRows(topic: string, partition: number, records: DecodedRecord[], rejected: FoldResult['rejected']): ErasureEventRow[] {
  const refused = new Set(rejected.map((r) => r.message));
  const rows = new Map<string, ErasureEventRow>();
  for (const { message, event } of records) {
    const key = event && `${event.subject_id}\u0000${event.event_id}`;
    if (!event || !key || refused.has(message) || !ERASURE_TYPES.has(event.payload.type) || rows.has(key)) continue;
    const payload = event.payload as { request_id: string; system?: string };
    rows.set(key, {
      subject_id: event.subject_id,
      event_id: event.event_id,
      request_id: payload.request_id,
      type: event.payload.type,
      system: payload.system ?? null,
      topic,
      partition,
      offset: message.offset,
      recorded_at: new Date(event.recorded_at).toISOString(),
    });
  }
  return [...rows.values()];
}

/**
 * One multi-row insert, in the projector's transaction. A redelivered slice finds its rows
 * already there and changes nothing (on conflict do nothing), so the first position stays.
 */
export async function saveErasureEvents(db: EntityManager, rows: ErasureEventRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `insert into erasure_events (subject_id, event_id, request_id, type, system, topic, partition, "offset", recorded_at)
     select subject_id, event_id, request_id, type, system, topic, partition, "offset", recorded_at
       from jsonb_to_recordset($1::jsonb) as row(subject_id text, event_id uuid, request_id text, type text, system text, topic text, partition integer, "offset" bigint, recorded_at timestamptz)
     on conflict (subject_id, event_id) do nothing`,
    [JSON.stringify(rows)],
  );
}
