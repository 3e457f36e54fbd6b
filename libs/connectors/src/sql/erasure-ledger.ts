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
   * Claims the works inside the caller's transaction, and answers the outcomes recorded for those
   * done before: every other work is this transaction's now. A concurrent claimer blocks on the
   * primary key until the owner commits (then reads its outcome) or rolls back (then owns the work
   * itself). Claimed in work id order, so two transactions claiming overlapping works wait on each
   * other rather than deadlock.
   */
  async claim(client: ClientBase, workIds: readonly string[]): Promise<Map<string, RecordedOutcome>> {
    const { rows } = await client.query<{ work_id: string }>(
      `insert into ${this.table} (work_id, system) select w, $2 from unnest($1::text[]) as w order by w on conflict do nothing returning work_id`,
      [[...new Set(workIds)], this.system],
    );
    const claimed = new Set(rows.map((row) => row.work_id));
    const others = workIds.filter((workId) => !claimed.has(workId));
    return others.length > 0 ? this.find(client, others) : new Map();
  }

  /** The outcomes recorded for `workIds`; a work missing from the answer has not been carried out. */
  async find(client: ClientBase, workIds: readonly string[]): Promise<Map<string, RecordedOutcome>> {
    const { rows } = await client.query<{ work_id: string; outcome: RecordedOutcome | null }>(
      `select work_id, outcome from ${this.table} where work_id = any($1::text[]) and system = $2`,
      [workIds, this.system],
    );
    return new Map(rows.flatMap((row) => (row.outcome ? [[row.work_id, row.outcome] as const] : [])));
  }

  /** Gives back claims of works that could not be carried out, so they are not taken for done. */
  async unclaim(client: ClientBase, workIds: readonly string[]): Promise<void> {
    await client.query(`delete from ${this.table} where work_id = any($1::text[]) and system = $2 and outcome is null`, [workIds, this.system]);
  }

  /** Stores the outcomes on the claimed rows, in the transaction that did the work. */
  async record(client: ClientBase, outcomes: ReadonlyMap<string, RecordedOutcome>): Promise<void> {
    await client.query(
      `update ${this.table} as l set outcome = v.outcome::jsonb, done_at = now()
       from unnest($1::text[], $2::text[]) as v(work_id, outcome) where l.work_id = v.work_id and l.system = $3`,
      [[...outcomes.keys()], [...outcomes.values()].map((outcome) => JSON.stringify(outcome)), this.system],
    );
  }
}
