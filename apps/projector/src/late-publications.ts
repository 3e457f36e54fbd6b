import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { safeErrorSummary } from '@lethe/config';
import { limitIdleInTransaction, ProjectionStore } from '@lethe/projection';
import { PendingRepairs, PublishedVersions } from './pending-repairs';
import { PublicationDeps, republishStates } from './slice-publications';

/** How often states whose repair could not be done yet are tried again. */
const RETRY_MS = 1_000;
/** A repair failing for a while is reported about once a minute, not every second. */
const REPORT_EVERY = 60;

export interface LatePublicationDeps extends PublicationDeps {
  db: DataSource;
  store: ProjectionStore;
  idleInTransactionTimeoutMs: number;
  logger: Logger;
}

/**
 * A slice publishes its states to consent.state inside its transaction, before the commit. When
 * that commit fails, those records may have landed after the partition's next owner published
 * newer states of the same subjects (its transaction was ended while a send still retried, or it
 * was frozen past its session): compaction would then keep the older ones. So, once the slice's
 * sends have settled, each of those subjects whose state in the projection is newer than the one
 * the slice published has that state published again, in a transaction holding the partition's
 * offset lock: after every state the owner published before its last commit, and before any it
 * publishes next. A repair counts only once its transaction commits (a lock lost during the send
 * is the same doubt again), and waits while no slice of the partition has committed (the first
 * owner's row is not visible, so it cannot be waited for). A subject whose projection is not newer
 * gets nothing: the owner folds the same records to that state and publishes it after. Notices
 * need none of this: a late one repeats one the owner published with the same version, and
 * subscribers ignore a notice not newer than the last they applied (docs/adr/0029).
 */
export class LatePublications {
  private readonly pending = new PendingRepairs();
  private readonly failures = new Map<number, number>();
  private repairing: Promise<void> = Promise.resolve();
  private retry?: NodeJS.Timeout;

  constructor(private readonly deps: LatePublicationDeps) {}

  /** A slice of `partition` published these states and did not commit. Repaired in the background, in order, until done. */
  afterFailedCommit(partition: number, published: PublishedVersions): void {
    this.pending.note(partition, published);
    void this.repair();
  }

  async stop(): Promise<void> {
    await this.repair();
    clearTimeout(this.retry); // the last round may have set one
    this.warnIfPending('stopping');
  }

  warnIfPending(doing: 'stopping' | 'exiting'): void {
    if (this.pending.subjects === 0) return;
    this.deps.logger.warn(`${doing} with ${this.pending.subjects} subject(s) whose consent.state record may be older than the projection, until they change`);
  }

  private repair(): Promise<void> {
    this.repairing = this.repairing
      .then(() => this.repairAll())
      .catch((error: unknown) => this.deps.logger.error(`repairing late consent.state records failed: ${safeErrorSummary(error)}`));
    return this.repairing;
  }

  private async repairAll(): Promise<void> {
    clearTimeout(this.retry);
    for (const partition of this.pending.partitions()) {
      const published = this.pending.take(partition);
      try {
        const repaired = await this.republishNewer(partition, published);
        this.failures.delete(partition);
        if (repaired > 0) this.deps.logger.warn(`published again the projection's state of ${repaired} subject(s) of partition ${partition}, newer than a slice that did not commit had published`);
      } catch (error) {
        this.pending.giveBack(partition, published);
        const failures = (this.failures.get(partition) ?? 0) + 1;
        this.failures.set(partition, failures);
        if (failures % REPORT_EVERY === 1) {
          this.deps.logger.warn(`cannot yet check ${published.size} consent.state record(s) of partition ${partition} published by a slice that did not commit (attempt ${failures}, every ${RETRY_MS} ms): ${safeErrorSummary(error)}`);
        }
      }
    }
    if (this.pending.subjects > 0) {
      this.retry = setTimeout(() => void this.repair(), RETRY_MS);
      this.retry.unref();
    }
  }

  /** The number of subjects whose state was published again. */
  private republishNewer(partition: number, published: PublishedVersions): Promise<number> {
    const { db, store, topics, idleInTransactionTimeoutMs } = this.deps;
    return db.transaction(async (tx) => {
      await limitIdleInTransaction(tx, idleInTransactionTimeoutMs);
      if ((await store.lockOffset(tx, topics.consentLog, partition)) === undefined) {
        throw new Error(`no slice of partition ${partition} has committed yet`);
      }
      const states = await store.states(tx, [...published.keys()]);
      const newer = [...states.values()].filter((state) => state.version > (published.get(state.subjectId) ?? Infinity));
      await republishStates(this.deps, newer);
      return newer.length;
    });
  }
}
