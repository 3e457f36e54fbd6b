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
    await db.query(`alter table erasure_retries add column parked_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`alter table erasure_retries drop column parked_at`);
    await db.query(`alter table erasure_requests drop column extension_reason, drop column extended_at`);
  }
}
