import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The subjects whose KeyShredded the projection has folded, found without reading every state: the
 * projector re-applies each of them to the key store at every start, so a key store restored from
 * a backup taken before a shred never brings the key back (docs/adr/0018).
 */
export class ShreddedSubjects1732900000000 implements MigrationInterface {
  name = 'ShreddedSubjects1732900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`create index subject_state_key_shredded on subject_state (subject_id) where state ? 'keyShredded'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`drop index subject_state_key_shredded`);
  }
}
