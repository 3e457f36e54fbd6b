import { DataSource, EntityManager } from 'typeorm';
import { DecodedRecord, FoldResult, foldRecords } from './batch-folder';
import { erasureEventRows, saveErasureEvents } from './erasure-events';
import { ProjectionStore } from './projection-store';
import { STORE_REFUSED, storeRefusal } from './store-refusal';

export interface SliceTransactionOptions {
  db: DataSource;
  store: ProjectionStore;
  /** A process frozen inside a transaction must not hold its partition's lock for ever. */
  idleInTransactionTimeoutMs: number;
  /**
   * Called inside the transaction once every write succeeded, before the commit: the live
   * projector publishes the slice to Kafka there; a rebuild, which only reads the log, passes none.
   */
  beforeCommit?: (tx: EntityManager, folded: FoldResult) => Promise<void>;
  warn: (message: string) => void;
}

/**
 * How a partition's records become PostgreSQL rows, for the live projector and `lethe rebuild`
 * alike: one transaction per slice that fences the partition's stored offset, folds the records
 * from the stored states, saves the changed states, requests, steps and erasure positions, and
 * moves the offset, all or nothing. When PostgreSQL refuses what one record holds, the records
 * are halved until that one is alone, and it is applied as rejected (reason store_refused, the
 * SQLSTATE in the detail), so one record never blocks its partition. Outages are thrown.
 */
export async function applyIsolating(options: SliceTransactionOptions, topic: string, partition: number, records: DecodedRecord[]): Promise<void> {
  try {
    await applySlice(options, topic, partition, records);
  } catch (error) {
    const refusal = storeRefusal(error);
    if (!refusal) throw error;
    if (records.length === 1) {
      options.warn(`${topic} partition ${partition} offset ${records[0].message.offset}: ${refusal}`);
      return applySlice(options, topic, partition, [{ message: records[0].message, problem: STORE_REFUSED, detail: refusal }]);
    }
    const half = Math.ceil(records.length / 2);
    await applyIsolating(options, topic, partition, records.slice(0, half));
    await applyIsolating(options, topic, partition, records.slice(half));
  }
}

/**
 * One transaction. It first locks the partition's stored offset: if another owner moved it, the
 * slice is stale and nothing of it is written (PartitionMoved is thrown).
 */
async function applySlice({ db, store, idleInTransactionTimeoutMs, beforeCommit }: SliceTransactionOptions, topic: string, partition: number, records: DecodedRecord[]) {
  const first = records[0].message.offset;
  const nextOffset = (BigInt(records[records.length - 1].message.offset) + 1n).toString();
  await db.transaction(async (tx) => {
    // Safe without waiting for the WAL flush: state and offsets commit together, so a crash
    // that loses the last commits rolls both back, and the records are folded again.
    await tx.query('set local synchronous_commit to off');
    await limitIdleInTransaction(tx, idleInTransactionTimeoutMs);
    await store.fence(tx, topic, partition, first);
    const subjects = [...new Set(records.flatMap((r) => (r.event ? [r.event.subject_id] : [])))];
    const stored = await store.states(tx, subjects);
    const folded = foldRecords(partition, records, stored);
    await store.save(tx, folded.changed, stored, [{ topic, partition, nextOffset }]);
    await saveErasureEvents(tx, erasureEventRows(topic, partition, records, folded.rejected));
    await beforeCommit?.(tx, folded);
  });
}

/** A process frozen inside a transaction that holds a partition's lock must not hold it for ever. */
export function limitIdleInTransaction(tx: EntityManager, timeoutMs: number): Promise<unknown> {
  return tx.query(`set local idle_in_transaction_session_timeout = ${Math.floor(timeoutMs)}`);
}
