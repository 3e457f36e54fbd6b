import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What operators do with a request: a deadline extension (once, with its reason), and a retry of
 * one failed system. A step that failed for good stays in erasure_retries, parked, so a later
 * retry of that system has the request to run again without re-running the others.
 */
export class ErasureOperations1732500000000 implements MigrationInterface {
  name = 'ErasureOperations1732500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`alter table erasure_requests add column extension_reason text, add column extended_at timestamptz`);
    await db.query(`alter table erasure_steps add column strategies jsonb`);
    // round_start: the attempt an operator's retry started from, so it gets a fresh budget while
    // attempt numbers (and so the ids of failure events) keep growing.
    await db.query(`alter table erasure_retries add column parked_at timestamptz, add column round_start integer not null default 1`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`alter table erasure_retries drop column parked_at, drop column round_start`);
    await db.query(`alter table erasure_steps drop column strategies`);
    await db.query(`alter table erasure_requests drop column extension_reason, drop column extended_at`);
  }
}
