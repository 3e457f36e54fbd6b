import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { safeErrorSummary } from '@lethe/config';
import { ProjectionStore } from '@lethe/projection';
import { PublicationDeps, republishStates } from './slice-publications';

/** How often states whose repair failed (PostgreSQL or the broker away) are tried again. */
const RETRY_MS = 1_000;

export interface LatePublicationDeps extends PublicationDeps {
  db: DataSource;
  store: ProjectionStore;
  /** As for a slice: a repairer frozen while it holds the partition's lock must not hold it for ever. */
  idleInTransactionTimeoutMs: number;
  logger: Logger;
}

/**
 * A slice publishes its states to consent.state inside its transaction, before the commit. When
 * that commit fails, those records may have landed after the partition's next owner published
 * newer states of the same subjects (its transaction was ended while a send still retried, or it
 * was frozen past its session): compaction would then keep the older one. So for every subject
 * such a slice published, the state the projection holds is published again, from the same
 * producer (so after the late records) and while holding the partition's offset lock (so after
 * every state the owner published before its last commit, and before any it publishes next).
 * A repair counts only once its own transaction commits: a lock lost during its send is the same
 * doubt again, and it is retried. Notices need none of this: a late one repeats a notice its
 * version already placed, which subscribers ignore (docs/adr/0029).
 */
export class LatePublications {
  /** Per partition, the subjects whose published state may be older than the projection's. */
  private readonly pending = new Map<number, Set<string>>();
  private repairing: Promise<void> = Promise.resolve();
  private retry?: NodeJS.Timeout;

  constructor(private readonly deps: LatePublicationDeps) {}

  /** A slice of `partition` published these subjects' states and did not commit: repair them now, and until it succeeds. */
  async afterFailedCommit(partition: number, subjects: Iterable<string>): Promise<void> {
    const set = this.pending.get(partition) ?? new Set<string>();
    for (const subject of subjects) set.add(subject);
    if (set.size > 0) this.pending.set(partition, set);
    await this.repair();
  }

  /** Subjects still waiting for a repair, across partitions. */
  get waiting(): number {
    return [...this.pending.values()].reduce((sum, subjects) => sum + subjects.size, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.retry);
    await this.repair();
    if (this.waiting > 0) {
      this.deps.logger.warn(`stopping with ${this.waiting} subject(s) whose consent.state record may be older than the projection, until they change or a projector repairs them`);
    }
    clearTimeout(this.retry);
  }

  private repair(): Promise<void> {
    this.repairing = this.repairing.then(() => this.repairAll());
    return this.repairing;
  }

  private async repairAll(): Promise<void> {
    clearTimeout(this.retry);
    for (const [partition, set] of this.pending) {
      const subjects = [...set];
      try {
        await this.republishCommitted(partition, subjects);
      } catch (error) {
        this.deps.logger.warn(`could not yet publish again ${subjects.length} state(s) of partition ${partition} after a slice that did not commit, trying again in ${RETRY_MS} ms: ${safeErrorSummary(error)}`);
        continue;
      }
      for (const subject of subjects) set.delete(subject);
      if (set.size === 0) this.pending.delete(partition);
      this.deps.logger.warn(`published again the projection's state of ${subjects.length} subject(s) of partition ${partition}, after a slice that published and did not commit`);
    }
    if (this.pending.size > 0) {
      this.retry = setTimeout(() => void this.repair(), RETRY_MS);
      this.retry.unref();
    }
  }

  private async republishCommitted(partition: number, subjects: string[]): Promise<void> {
    const { db, store, topics, idleInTransactionTimeoutMs } = this.deps;
    await db.transaction(async (tx) => {
      await tx.query(`set local idle_in_transaction_session_timeout = ${Math.floor(idleInTransactionTimeoutMs)}`);
      await store.lockOffset(tx, topics.consentLog, partition);
      const states = await store.states(tx, subjects);
      await republishStates(this.deps, [...states.values()]);
    });
  }
}
