import { coalescedByTurn } from '@lethe/config';
import { DataSource } from 'typeorm';

/** A step that is due again: a scheduled retry, or a confirmation the processor let lapse. */
export interface DueStep {
  workId: string;
  attempt: number;
  /** The attempt this round of retries started from (1, or where an operator's retry began). */
  roundStart: number;
  /** The record that caused the work, as it was on consent.log (Confluent wire format). */
  record: Buffer;
  /** True when a processor accepted the request and did not confirm it before `confirm_by`. */
  confirmationOverdue: boolean;
}

/** What a processor's callback needs of a step it was sent. */
export interface AwaitedStep {
  record: Buffer;
  /** The attempt that sent the request. */
  attempt: number;
  /** Set once a final "completed" callback was recorded; a repeat then writes nothing. */
  confirmedAt: Date | null;
}

/** How long a claimed step stays hidden from other workers before it is due again. */
const LEASE = `interval '5 minutes'`;
/** How long a confirmed step is kept, so a processor's repeated callback is still recognised. */
const KEEP_CONFIRMED = `interval '7 days'`;

/**
 * The work of one system that is not finished, per (system, work id), in PostgreSQL:
 * - a retry scheduled for `due_at` (the consumer has moved on; the retry sweep comes back to it);
 * - a step that failed for good, parked (`parked_at`) so an operator's retry can re-arm it;
 * - a request a third-party processor must still confirm by `confirm_by` (see awaitConfirmation),
 *   and, once confirmed, `confirmed_at`.
 * The erasure worker owns the rows; consent-api's processor callback confirms or parks them.
 * A due step is claimed by pushing its due time past a lease, so a worker that dies while running
 * it leaves it to be picked up again.
 */
export class OutstandingSteps {
  constructor(
    private readonly db: DataSource,
    private readonly system: string,
  ) {}

  async schedule(workId: string, attempt: number, roundStart: number, dueAt: Date, record: Buffer): Promise<void> {
    await this.upsert({ workId, attempt, roundStart, dueAt, record, parkedAt: null, confirmBy: null });
  }

  async park(workId: string, attempt: number, roundStart: number, record: Buffer): Promise<void> {
    await this.upsert({ workId, attempt, roundStart, dueAt: new Date(), record, parkedAt: new Date(), confirmBy: null });
  }

  /**
   * Written before a request goes to a processor that may confirm later, so its callback always
   * finds the step, however fast it comes. Unless confirmed, the step falls due at `confirmBy`
   * and is then reported failed. A step already confirmed stays confirmed.
   */
  async awaitConfirmation(workId: string, attempt: number, roundStart: number, confirmBy: Date, record: Buffer): Promise<void> {
    await this.upsert({ workId, attempt, roundStart, dueAt: confirmBy, record, parkedAt: null, confirmBy });
  }

  /** The processor confirmed: the step is done and never falls due. */
  async confirm(workId: string): Promise<void> {
    await this.db.query(
      `update outstanding_steps set confirmed_at = now(), confirm_by = null, parked_at = null where system = $1 and work_id = $2 and confirmed_at is null`,
      [this.system, workId],
    );
  }

  /** The processor gave up on the request: parked, for an operator's retry, unless confirmed. */
  async parkRefused(workId: string): Promise<void> {
    await this.db.query(
      `update outstanding_steps set parked_at = now(), confirm_by = null where system = $1 and work_id = $2 and confirmed_at is null`,
      [this.system, workId],
    );
  }

  /** The step a processor's callback is about; undefined when this system was never sent it. */
  async awaited(workId: string): Promise<AwaitedStep | undefined> {
    const [row] = rowsOf<{ record: Buffer; attempt: number; confirmed_at: Date | null }>(
      await this.db.query(`select record, attempt, confirmed_at from outstanding_steps where system = $1 and work_id = $2`, [this.system, workId]),
    );
    return row && { record: row.record, attempt: row.attempt, confirmedAt: row.confirmed_at };
  }

  /** Makes a parked step due now, one attempt further and with a fresh budget; false if none. */
  async rearm(workId: string): Promise<boolean> {
    const result = await this.db.query(
      `update outstanding_steps set parked_at = null, due_at = now(), attempt = attempt + 1, round_start = attempt + 1
        where system = $1 and work_id = $2 and parked_at is not null returning work_id`,
      [this.system, workId],
    );
    return rowsOf(result).length > 0;
  }

  async claimDue(limit: number): Promise<DueStep[]> {
    const result = await this.db.query(
      `update outstanding_steps set due_at = now() + ${LEASE}
        where (system, work_id) in (
          select system, work_id from outstanding_steps
           where system = $1 and parked_at is null and confirmed_at is null and due_at <= now()
           order by due_at limit $2 for update skip locked)
        returning work_id, attempt, round_start, record, confirm_by`,
      [this.system, limit],
    );
    return rowsOf<{ work_id: string; attempt: number; round_start: number; record: Buffer; confirm_by: Date | null }>(result).map((row) => ({
      workId: row.work_id,
      attempt: row.attempt,
      roundStart: row.round_start,
      record: row.record,
      confirmationOverdue: row.confirm_by !== null,
    }));
  }

  /** Resolves once the row is gone; the clears of steps finishing together go in one statement. */
  async clear(workId: string): Promise<void> {
    await this.clearTogether(workId);
  }

  private readonly clearTogether = coalescedByTurn(async (workIds: string[]) => {
    await this.db.query(`delete from outstanding_steps where system = $1 and work_id = any($2)`, [this.system, workIds]);
    return new Map<string, never>();
  });

  /** Forgets confirmed steps once a repeated callback is no longer to be expected. */
  async purgeConfirmed(): Promise<void> {
    await this.db.query(`delete from outstanding_steps where system = $1 and confirmed_at < now() - ${KEEP_CONFIRMED}`, [this.system]);
  }

  private async upsert(step: { workId: string; attempt: number; roundStart: number; dueAt: Date; record: Buffer; parkedAt: Date | null; confirmBy: Date | null }) {
    await this.db.query(
      `insert into outstanding_steps (system, work_id, attempt, round_start, due_at, record, parked_at, confirm_by) values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (system, work_id) do update set attempt = excluded.attempt, round_start = excluded.round_start,
         due_at = excluded.due_at, record = excluded.record, parked_at = excluded.parked_at, confirm_by = excluded.confirm_by
       where outstanding_steps.confirmed_at is null`,
      [this.system, step.workId, step.attempt, step.roundStart, step.dueAt, step.record, step.parkedAt, step.confirmBy],
    );
  }
}

/** TypeORM returns [rows, count] for UPDATE ... RETURNING on PostgreSQL. */
function rowsOf<T = unknown>(result: unknown): T[] {
  const rows = result as unknown[];
  return (Array.isArray(rows[0]) ? rows[0] : rows) as T[];
}
