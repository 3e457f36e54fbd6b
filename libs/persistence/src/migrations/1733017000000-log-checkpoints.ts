import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The checkpointer's state (docs/adr/0017). `log_chain_heads` is each consent.log partition's
 * chain head and, in the same row, the checkpointer's position: the offset after the last record
 * chained. `log_checkpoints` keeps every signed checkpoint, where it is on consent.audit, for
 * certificates to cite. Both change in one transaction, after the checkpoint is on consent.audit.
 */
export class LogCheckpoints1733017000000 implements MigrationInterface {
  name = 'LogCheckpoints1733017000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      create table log_chain_heads (
        topic text not null,
        partition int not null,
        next_offset bigint not null,
        head bytea not null,
        primary key (topic, partition)
      )`);
    await db.query(`
      create table log_checkpoints (
        topic text not null,
        partition int not null,
        size bigint not null,
        hash bytea not null,
        note text not null,
        audit_offset bigint not null,
        written_at timestamptz not null default now(),
        primary key (topic, partition, size)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`drop table if exists log_checkpoints`);
    await db.query(`drop table if exists log_chain_heads`);
  }
}
