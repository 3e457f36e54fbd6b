import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure rows are keyed by (subject, request), never by request id alone: a log may hold one
 * request id for two subjects, and each is its own erasure (docs/adr/0008). `work_id` is the id the
 * systems handle a request under (erasureWorkId), which a processor's callback quotes back.
 *
 * The projected rows cannot be re-keyed in SQL (work ids are computed by the fold's code), so the
 * projection is emptied and the projector folds consent.log again from offset 0 on its next start:
 * it is a pure function of the log, and this is what rebuilding it means. `erasure_request_ids`
 * is consent-api's own record of which subject a request id belongs to, to refuse its reuse.
 */
export class ErasureKeysPerSubject1732800000000 implements MigrationInterface {
  name = 'ErasureKeysPerSubject1732800000000';

  async up(db: QueryRunner): Promise<void> {
    for (const table of ['erasure_events', 'erasure_steps', 'erasure_requests', 'subject_state', 'consumer_offsets']) {
      await db.query(`delete from ${table}`);
    }
    await db.query(`alter table erasure_requests drop constraint erasure_requests_pkey, add primary key (subject_id, request_id)`);
    await db.query(`alter table erasure_requests add column work_id text not null unique`);
    await db.query(`create index erasure_requests_request on erasure_requests (request_id)`);
    await db.query(`alter table erasure_steps add column subject_id text not null`);
    await db.query(`alter table erasure_steps drop constraint erasure_steps_pkey, add primary key (subject_id, request_id, system)`);
    await db.query(`alter table erasure_events add column subject_id text not null`);
    await db.query(`alter table erasure_events drop constraint erasure_events_pkey, add primary key (subject_id, event_id)`);
    await db.query(`drop index erasure_events_request`);
    await db.query(`create index erasure_events_request on erasure_events (subject_id, request_id, type)`);
    await db.query(`alter table outstanding_steps rename column request_id to work_id`);
    await db.query(`
      create table erasure_request_ids (
        request_id text primary key,
        subject_id text not null,
        claimed_at timestamptz not null default now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`drop table if exists erasure_request_ids`);
    await db.query(`alter table outstanding_steps rename column work_id to request_id`);
    for (const table of ['erasure_events', 'erasure_steps', 'erasure_requests', 'subject_state', 'consumer_offsets']) {
      await db.query(`delete from ${table}`);
    }
    await db.query(`drop index erasure_events_request`);
    await db.query(`alter table erasure_events drop constraint erasure_events_pkey, drop column subject_id, add primary key (event_id)`);
    await db.query(`create index erasure_events_request on erasure_events (request_id, type)`);
    await db.query(`alter table erasure_steps drop constraint erasure_steps_pkey, drop column subject_id, add primary key (request_id, system)`);
    await db.query(`drop index erasure_requests_request`);
    await db.query(`alter table erasure_requests drop constraint erasure_requests_pkey, drop column work_id, add primary key (request_id)`);
  }
}
