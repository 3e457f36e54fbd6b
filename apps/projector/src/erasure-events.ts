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
 * Rejected records are left out (they changed nothing), and an id seen twice keeps its first
 * position: the fold applies the first and ignores the repeat.
 */
export function erasureEventRows(topic: string, partition: number, records: DecodedRecord[], rejected: FoldResult['rejected']): ErasureEventRow[] {
  const refused = new Set(rejected.map((r) => r.message));
  const rows = new Map<string, ErasureEventRow>();
  for (const { message, event } of records) {
    if (!event || refused.has(message) || !ERASURE_TYPES.has(event.payload.type) || rows.has(event.event_id)) continue;
    const payload = event.payload as { request_id: string; system?: string };
    rows.set(event.event_id, {
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
    `insert into erasure_events (event_id, request_id, type, system, topic, partition, "offset", recorded_at)
     select event_id, request_id, type, system, topic, partition, "offset", recorded_at
       from jsonb_to_recordset($1::jsonb) as row(event_id uuid, request_id text, type text, system text, topic text, partition integer, "offset" bigint, recorded_at timestamptz)
     on conflict (event_id) do nothing`,
    [JSON.stringify(rows)],
  );
}
