import type { ClientBase } from 'pg';
import type { ErasureOutcome } from '../connector';
import { qualifiedTable } from './sql-statements';

/** The outcome as stored: everything but `alreadyDone`, which depends on who reads it. */
export type RecordedOutcome = Omit<ErasureOutcome, 'alreadyDone'>;

export const LEDGER_TABLE = 'lethe_erasure_ledger';

/**
 * The idempotency ledger, kept in the target database itself so that recording an outcome
 * commits or rolls back together with the erasure it describes.
 */
export class ErasureLedger {
  private readonly table: string;

  constructor(
    schema: string | undefined,
    private readonly system: string,
  ) {
    this.table = qualifiedTable(schema, LEDGER_TABLE);
  }

  /**
   * Creates the ledger when missing. Two connectors starting together would both try, and
   * `create table if not exists` is not safe against that race, hence the advisory lock.
   */
  async ensureExists(client: ClientBase): Promise<void> {
    await client.query('begin');
    try {
      await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [this.table]);
      await client.query(
        `create table if not exists ${this.table} (
           work_id text not null,
           system text not null,
           outcome jsonb,
           done_at timestamptz not null default now(),
           primary key (work_id, system))`,
      );
      await this.renameRequestIdColumn(client);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  /**
   * A ledger made before work ids keyed its rows by request id alone. Its entries stay (renamed),
   * but no work id matches them: a request seen again is carried out again, which finds nothing
   * left to erase and reports it so. Never the other way round, one subject's entry answering for another.
   */
  private async renameRequestIdColumn(client: ClientBase): Promise<void> {
    const { rows } = await client.query(`select 1 from pg_attribute where attrelid = $1::regclass and attname = 'request_id' and not attisdropped`, [this.table]);
    if (rows.length > 0) await client.query(`alter table ${this.table} rename column request_id to work_id`);
  }

  /**
   * Claims the work inside the caller's transaction. Returns null when this transaction owns
   * it now, or the outcome already recorded. A concurrent claimer blocks on the primary key until
   * the owner commits (then reads its outcome) or rolls back (then owns the work itself).
   */
  async claim(client: ClientBase, workId: string): Promise<RecordedOutcome | null> {
    const inserted = await client.query(
      `insert into ${this.table} (work_id, system) values ($1, $2) on conflict do nothing`,
      [workId, this.system],
    );
    if (inserted.rowCount === 1) return null;
    return this.find(client, workId);
  }

  /** The recorded outcome, or null when the request has not been carried out. */
  async find(client: ClientBase, workId: string): Promise<RecordedOutcome | null> {
    const { rows } = await client.query<{ outcome: RecordedOutcome | null }>(
      `select outcome from ${this.table} where work_id = $1 and system = $2`,
      [workId, this.system],
    );
    return rows[0]?.outcome ?? null;
  }

  /** Stores the outcome on the claimed row, in the transaction that did the work. */
  async record(client: ClientBase, workId: string, outcome: RecordedOutcome): Promise<void> {
    await client.query(`update ${this.table} set outcome = $3, done_at = now() where work_id = $1 and system = $2`, [
      workId,
      this.system,
      JSON.stringify(outcome),
    ]);
  }
}

