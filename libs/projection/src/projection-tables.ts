/**
 * The tables the projector derives from consent.log alone, with their keys: what a rebuild
 * writes and what two projections are compared on. Columns that record when a row was written,
 * not what the log says, are left out of comparisons. Lethe's other tables (subject_keys,
 * api_keys, idempotency_keys, outstanding_steps, erasure_request_ids) hold what the log does not:
 * a rebuild never writes them. consumer_offsets holds positions, under a group id of its own.
 */
export interface ProjectionTable {
  name: string;
  key: string[];
  ignored: string[];
}

export const PROJECTION_TABLES: readonly ProjectionTable[] = [
  { name: 'subject_state', key: ['subject_id'], ignored: ['updated_at'] },
  { name: 'erasure_requests', key: ['subject_id', 'request_id'], ignored: [] },
  { name: 'erasure_steps', key: ['subject_id', 'request_id', 'system'], ignored: [] },
  { name: 'erasure_events', key: ['subject_id', 'event_id'], ignored: [] },
];

/** Tables whose rows did not come from the log: a schema holding any is not a projection to drop. */
export const NON_PROJECTION_TABLES: readonly string[] = ['subject_keys', 'api_keys', 'idempotency_keys', 'outstanding_steps', 'erasure_request_ids', 'log_checkpoints'];
