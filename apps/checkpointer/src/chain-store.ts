import { DataSource } from 'typeorm';
import { EMPTY_HEAD } from '@lethe/certificates';

export interface StoredHead {
  next: bigint;
  head: Buffer;
}

export interface CheckpointRow {
  topic: string;
  partition: number;
  size: bigint;
  hash: Buffer;
  note: string;
  auditOffset: string;
}

/** The chain heads (which are also the checkpointer's positions) and the checkpoints, in PostgreSQL. */
export class ChainStore {
  constructor(private readonly db: DataSource) {}

  async heads(topic: string): Promise<Map<number, StoredHead>> {
    const rows: { partition: number; next_offset: string; head: Buffer }[] = await this.db.query(`select partition, next_offset, head from log_chain_heads where topic = $1`, [topic]);
    return new Map(rows.map((r) => [r.partition, { next: BigInt(r.next_offset), head: r.head }]));
  }

  /**
   * Moves the head from `from` to the checkpoint's size and records the checkpoint, in one
   * transaction. False when the stored head is no longer `from` (another member took the
   * partition over and moved it): nothing is written, and the caller resumes from what is stored.
   */
  async advance(from: StoredHead, checkpoint: CheckpointRow): Promise<boolean> {
    const { topic, partition, size, hash, note, auditOffset } = checkpoint;
    return this.db.transaction(async (tx) => {
      const fresh = from.next === 0n && from.head.equals(EMPTY_HEAD);
      const moved: unknown[] = fresh
        ? await tx.query(`insert into log_chain_heads (topic, partition, next_offset, head) values ($1, $2, $3, $4) on conflict do nothing returning 1`, [topic, partition, size.toString(), hash])
        : await tx.query(
            `with moved as (update log_chain_heads set next_offset = $3, head = $4 where topic = $1 and partition = $2 and next_offset = $5 and head = $6 returning 1) select * from moved`,
            [topic, partition, size.toString(), hash, from.next.toString(), from.head],
          );
      if (moved.length === 0) return false;
      await tx.query(`insert into log_checkpoints (topic, partition, size, hash, note, audit_offset) values ($1, $2, $3, $4, $5, $6) on conflict do nothing`, [
        topic,
        partition,
        size.toString(),
        hash,
        note,
        auditOffset,
      ]);
      return true;
    });
  }
}
