import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The subjects whose identity retention has ended, found without reading every state: the
 * projector's sweep asks for them as time passes and shreds their keys (docs/adr/0022).
 */
export class IdentityRetention1733100000000 implements MigrationInterface {
  name = 'IdentityRetention1733100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `create index subject_state_identity_retention on subject_state (((state->'identityRetention'->>'until')::bigint)) where state ? 'identityRetention'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`drop index subject_state_identity_retention`);
  }
}
