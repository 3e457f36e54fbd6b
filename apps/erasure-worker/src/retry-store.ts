import { DataSource } from 'typeorm';

export interface DueRetry {
  requestId: string;
  attempt: number;
  /** The attempt this round of retries started from (1, or where an operator's retry began). */
  roundStart: number;
  /** The record that caused the work, as it was on consent.log (Confluent wire format). */
  record: Buffer;
}

/** How long a claimed retry stays hidden from other workers before it is due again. */
const LEASE = `interval '5 minutes'`;

/**
 * Scheduled retries per (system, request) in PostgreSQL. A retry is claimed by pushing its due
 * time past a lease, so a worker that dies while retrying leaves it to be picked up again. A step
 * that failed for good is parked, not deleted: an operator's retry re-arms it from here.
 */
export class RetryStore {
  constructor(
    private readonly db: DataSource,
    private readonly system: string,
  ) {}

  async schedule(requestId: string, attempt: number, roundStart: number, dueAt: Date, record: Buffer): Promise<void> {
    await this.upsert(requestId, attempt, roundStart, dueAt, record, null);
  }

  async park(requestId: string, attempt: number, roundStart: number, record: Buffer): Promise<void> {
    await this.upsert(requestId, attempt, roundStart, new Date(), record, new Date());
  }

  /** Makes a parked step due now, one attempt further and with a fresh budget; false if none. */
  async rearm(requestId: string): Promise<boolean> {
    const result = await this.db.query(
      `update erasure_retries set parked_at = null, due_at = now(), attempt = attempt + 1, round_start = attempt + 1
        where system = $1 and request_id = $2 and parked_at is not null returning request_id`,
      [this.system, requestId],
    );
    return rowsOf(result).length > 0;
  }

  async claimDue(limit: number): Promise<DueRetry[]> {
    const result = await this.db.query(
      `update erasure_retries set due_at = now() + ${LEASE}
        where (system, request_id) in (
          select system, request_id from erasure_retries
           where system = $1 and parked_at is null and due_at <= now() order by due_at limit $2 for update skip locked)
        returning request_id, attempt, round_start, record`,
      [this.system, limit],
    );
    return rowsOf<{ request_id: string; attempt: number; round_start: number; record: Buffer }>(result).map((row) => ({
      requestId: row.request_id,
      attempt: row.attempt,
      roundStart: row.round_start,
      record: row.record,
    }));
  }

  async clear(requestId: string): Promise<void> {
    await this.db.query(`delete from erasure_retries where system = $1 and request_id = $2`, [this.system, requestId]);
  }

  /** Retries waiting to run (parked steps excluded). */
  async pending(): Promise<number> {
    const [row] = await this.db.query(`select count(*)::int as n from erasure_retries where system = $1 and parked_at is null`, [this.system]);
    return row.n;
  }

  private async upsert(requestId: string, attempt: number, roundStart: number, dueAt: Date, record: Buffer, parkedAt: Date | null) {
    await this.db.query(
      `insert into erasure_retries (system, request_id, attempt, round_start, due_at, record, parked_at) values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (system, request_id) do update set attempt = excluded.attempt, round_start = excluded.round_start,
         due_at = excluded.due_at, record = excluded.record, parked_at = excluded.parked_at`,
      [this.system, requestId, attempt, roundStart, dueAt, record, parkedAt],
    );
  }
}

/** TypeORM returns [rows, count] for UPDATE ... RETURNING on PostgreSQL. */
function rowsOf<T = unknown>(result: unknown): T[] {
  const rows = result as unknown[];
  return (Array.isArray(rows[0]) ? rows[0] : rows) as T[];
}
