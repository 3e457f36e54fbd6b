import { BatchedCalls } from '@lethe/config';
import { DomainError } from '@lethe/consent-domain';
import type { DataSource } from 'typeorm';

/**
 * Request ids are chosen by callers, and one id must never name two subjects' erasures: a
 * certificate, a processor or an operator asking about "dsr-7" must mean one person. The first
 * subject to use an id claims it (a row of consent-api's own, so two concurrent requests cannot
 * both win); a log written before that, or by another producer, is checked through the projection.
 * Claims are never released: a request that failed keeps its id for its subject, who may send it
 * again; a refused one claims nothing. One claim statement is out at a time, and the claims made
 * meanwhile go together in the next (rows in request id order, so two processes never deadlock).
 */
export class RequestIdClaims {
  /** Each claim its own call: two subjects asking for one id in one batch are both answered. */
  private readonly claims: BatchedCalls<{ requestId: string; subjectId: string }, boolean>;

  constructor(private readonly db: Pick<DataSource, 'query'>) {
    this.claims = new BatchedCalls((pairs) => this.claimMany(pairs));
  }

  /** Resolves once `requestId` is this subject's; refuses an id another subject holds (409). */
  async claim(requestId: string, subjectId: string): Promise<void> {
    if (!(await this.claims.call({ requestId, subjectId }))) {
      throw new DomainError('illegal_state', 'request_id_in_use', 'this requestId is already used for another subject; choose a new one');
    }
  }

  /** Which of these (request id, subject) pairs now hold their id: claimed by the subject and projected for no other. */
  private async claimMany(pairs: { requestId: string; subjectId: string }[]): Promise<boolean[]> {
    // One row per id: of two subjects asking for one id at once, the first that may claim it does
    // (the statement may not touch a row twice), and the other finds it held. An id the projection
    // holds for another subject is not claimed (its own subject still may). The no-op update makes
    // the statement return the row that holds each id, new or not.
    const rows: { request_id: string; subject_id: string; elsewhere: boolean }[] = await this.db.query(
      `with asked as (select * from unnest($1::text[], $2::text[]) with ordinality as a (request_id, subject_id, n)),
       claimed as (
         insert into erasure_request_ids (request_id, subject_id)
         select distinct on (a.request_id) a.request_id, a.subject_id from asked a
          where not exists (select 1 from erasure_requests r where r.request_id = a.request_id and r.subject_id <> a.subject_id)
          order by a.request_id, a.n
         on conflict (request_id) do update set request_id = excluded.request_id returning request_id, subject_id)
       select c.request_id, c.subject_id,
              exists (select 1 from erasure_requests r where r.request_id = c.request_id and r.subject_id <> c.subject_id) as elsewhere
         from claimed c`,
      [pairs.map((pair) => pair.requestId), pairs.map((pair) => pair.subjectId)],
    );
    const holders = new Map(rows.map((row) => [row.request_id, row]));
    return pairs.map(({ requestId, subjectId }) => {
      const holder = holders.get(requestId);
      return holder?.subject_id === subjectId && !holder.elsewhere;
    });
  }
}
