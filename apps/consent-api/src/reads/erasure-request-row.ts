import { DataSource } from 'typeorm';
import { DomainError } from '@lethe/consent-domain';

/**
 * The projected request under `requestId`, of `subjectId` when given. consent-api refuses to give
 * two subjects one request id, but a log written by another producer, or before that check, may
 * hold one: then the id alone names no single request, and the caller must say whose it is rather
 * than be shown one person's erasure for another's.
 */
export async function erasureRequestRow<T = Record<string, unknown>>(db: DataSource, requestId: string, subjectId?: string): Promise<T & { subject_id: string }> {
  const rows = subjectId
    ? await db.query(`select * from erasure_requests where request_id = $1 and subject_id = $2`, [requestId, subjectId])
    : await db.query(`select * from erasure_requests where request_id = $1 limit 2`, [requestId]);
  if (rows.length === 0) throw new DomainError('not_found', 'request_not_found', 'no erasure request has this id');
  if (rows.length > 1) {
    throw new DomainError('illegal_state', 'request_id_ambiguous', 'the log holds this request id for more than one subject: ask for it under /v1/subjects/{subjectId}/erasure-requests/{requestId}');
  }
  return rows[0];
}
