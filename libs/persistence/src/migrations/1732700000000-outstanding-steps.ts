import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * erasure_retries becomes outstanding_steps: besides scheduled retries and parked failures it now
 * holds steps a third-party processor accepted and must still confirm through the signed callback.
 * `confirm_by`: when an unconfirmed step is reported failed. `confirmed_at`: the callback arrived,
 * so a repeated callback is recognised and the step is never timed out.
 */
export class OutstandingSteps1732700000000 implements MigrationInterface {
  name = 'OutstandingSteps1732700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`alter table erasure_retries rename to outstanding_steps`);
    await db.query(`alter index erasure_retries_due rename to outstanding_steps_due`);
    await db.query(`alter table outstanding_steps add column confirm_by timestamptz, add column confirmed_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`alter table outstanding_steps drop column confirm_by, drop column confirmed_at`);
    await db.query(`alter index outstanding_steps_due rename to erasure_retries_due`);
    await db.query(`alter table outstanding_steps rename to erasure_retries`);
  }
}
