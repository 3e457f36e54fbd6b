import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retries of erasure steps, scheduled per (request, system) instead of blocking the consumer:
 * the worker commits past the request and comes back to it when it is due.
 */
export class ErasureRetries1732400000000 implements MigrationInterface {
  name = 'ErasureRetries1732400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      create table erasure_retries (
        system text not null,
        request_id text not null,
        attempt integer not null,
        due_at timestamptz not null,
        record bytea not null,
        primary key (system, request_id)
      )`);
    await db.query(`create index erasure_retries_due on erasure_retries (system, due_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`drop table if exists erasure_retries`);
  }
}
