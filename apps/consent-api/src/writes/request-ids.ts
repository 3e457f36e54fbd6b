import { DataSource } from 'typeorm';
import { DomainError } from '@lethe/consent-domain';

/**
 * Request ids are chosen by callers, and one id must never name two subjects' erasures: a
 * certificate, a processor or an operator asking about "dsr-7" must mean one person. The first
 * subject to use an id claims it (a row of consent-api's own, so two concurrent requests cannot
 * both win); a log written before that, or by another producer, is checked through the projection.
 * Claims are never released: a request that was refused or failed keeps its id for its subject,
 * who may send it again.
 */
export async function claimRequestId(db: DataSource, requestId: string, subjectId: string): Promise<void> {
  // The no-op update makes the statement return the row that holds the id, new or not.
  const [claim] = await db.query(
    `insert into erasure_request_ids (request_id, subject_id) values ($1, $2)
     on conflict (request_id) do update set request_id = excluded.request_id returning subject_id`,
    [requestId, subjectId],
  );
  const [projected] = await db.query(`select 1 from erasure_requests where request_id = $1 and subject_id <> $2 limit 1`, [requestId, subjectId]);
  if (claim?.subject_id !== subjectId || projected) {
    throw new DomainError('illegal_state', 'request_id_in_use', 'this requestId is already used for another subject; choose a new one');
  }
}
