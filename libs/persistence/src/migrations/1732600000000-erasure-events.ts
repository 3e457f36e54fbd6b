import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where each erasure event sits on consent.log (topic, partition, offset), so a certificate can
 * cite the records that prove it and anyone with read access to the log can check them. Keyed by
 * event id: a redelivered batch, or the same fact written twice, keeps the first position, which
 * is the one the fold applied. Requests projected before this table existed have no rows until
 * the projection is rebuilt from the log.
 */
export class ErasureEvents1732600000000 implements MigrationInterface {
  name = 'ErasureEvents1732600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      create table erasure_events (
        event_id uuid primary key,
        request_id text not null,
        type text not null,
        system text,
        topic text not null,
        partition integer not null,
        "offset" bigint not null,
        recorded_at timestamptz not null
      )`);
    await db.query(`create index erasure_events_request on erasure_events (request_id, type)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`drop table if exists erasure_events`);
  }
}
