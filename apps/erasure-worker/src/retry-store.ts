import { DataSource } from 'typeorm';

export interface DueRetry {
  requestId: string;
  attempt: number;
  /** The ErasureRequested record as it was on consent.log (Confluent wire format). */
  record: Buffer;
}

/** How long a claimed retry stays hidden from other workers before it is due again. */
const LEASE = `interval '5 minutes'`;

/**
 * Scheduled retries per (system, request) in PostgreSQL. A retry is claimed by pushing its due
 * time past a lease, so a worker that dies while retrying leaves it to be picked up again.
 */
export class RetryStore {
  constructor(
    private readonly db: DataSource,
    private readonly system: string,
  ) {}

  async schedule(requestId: string, attempt: number, dueAt: Date, record: Buffer): Promise<void> {
    await this.db.query(
      `insert into erasure_retries (system, request_id, attempt, due_at, record) values ($1, $2, $3, $4, $5)
       on conflict (system, request_id) do update set attempt = excluded.attempt, due_at = excluded.due_at, record = excluded.record`,
      [this.system, requestId, attempt, dueAt, record],
    );
  }

  async claimDue(limit: number): Promise<DueRetry[]> {
    const rows = await this.db.query(
      `update erasure_retries set due_at = now() + ${LEASE}
        where (system, request_id) in (
          select system, request_id from erasure_retries
           where system = $1 and due_at <= now() order by due_at limit $2 for update skip locked)
        returning request_id, attempt, record`,
      [this.system, limit],
    );
    // TypeORM returns [rows, count] for UPDATE ... RETURNING on PostgreSQL.
    const claimed = (Array.isArray(rows[0]) ? rows[0] : rows) as { request_id: string; attempt: number; record: Buffer }[];
    return claimed.map((row) => ({ requestId: row.request_id, attempt: row.attempt, record: row.record }));
  }

  async clear(requestId: string): Promise<void> {
    await this.db.query(`delete from erasure_retries where system = $1 and request_id = $2`, [this.system, requestId]);
  }

  async pending(): Promise<number> {
    const [row] = await this.db.query(`select count(*)::int as n from erasure_retries where system = $1`, [this.system]);
    return row.n;
  }
}
