import { MigrationInterface, QueryRunner } from 'typeorm';

/** Lethe's tables. Everything here is a projection of consent.log except keys and API keys. */
export class InitialSchema1732350000000 implements MigrationInterface {
  name = 'InitialSchema1732350000000';

  async up(db: QueryRunner): Promise<void> {
    // The fold's full state per subject: what the projector continues from. Rows are rewritten
    // on every change; free space in each page lets PostgreSQL update them in place (HOT),
    // without touching the index, which the projector's benchmark measured as ~25% faster.
    await db.query(`
      create table subject_state (
        subject_id text primary key,
        state jsonb not null,
        version integer not null,
        updated_at timestamptz not null default now()
      ) with (fillfactor = 70)`);
    // Current consent per purpose, for SQL users and reports: a view over the fold's state, so
    // the projector writes one row per subject and nothing can drift apart.
    await db.query(`
      create view consent_purposes as
      select s.subject_id,
             p.key as purpose,
             p.value->>'status' as status,
             p.value->>'policyVersion' as policy_version,
             to_timestamp((p.value->>'at')::bigint / 1000.0) as changed_at,
             (p.value->>'eventId')::uuid as event_id
        from subject_state s, jsonb_each(s.state->'purposes') p`);
    await db.query(`
      create table erasure_requests (
        request_id text primary key,
        subject_id text not null,
        status text not null,
        requested boolean not null,
        scope text,
        jurisdiction text,
        keep_transaction_history boolean not null default false,
        requested_at timestamptz,
        due_at timestamptz,
        extendable_to timestamptz,
        completed_at timestamptz
      )`);
    await db.query(`create index erasure_requests_subject on erasure_requests (subject_id)`);
    await db.query(`create index erasure_requests_open_due on erasure_requests (due_at) where status = 'open'`);
    await db.query(`
      create table erasure_steps (
        request_id text not null,
        system text not null,
        status text not null,
        action text,
        counts jsonb,
        evidence_hash text,
        legal_hold text,
        retryable boolean,
        attempt integer,
        reason text,
        acted_at timestamptz,
        event_id uuid,
        primary key (request_id, system)
      )`);
    // Consumer offsets stored with the state they produced: one transaction, exactly-once effect.
    await db.query(`
      create table consumer_offsets (
        group_id text not null,
        topic text not null,
        partition integer not null,
        next_offset bigint not null,
        primary key (group_id, topic, partition)
      )`);
    await db.query(`
      create table idempotency_keys (
        actor text not null,
        key text not null,
        request_hash text not null,
        status_code integer not null,
        response jsonb not null,
        created_at timestamptz not null default now(),
        primary key (actor, key)
      )`);
    await db.query(`
      create table api_keys (
        id text primary key,
        service text not null,
        key_hash text not null unique,
        scopes jsonb not null,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      )`);
    // Per-subject data keys, wrapped by the master key. Shredding deletes the key material.
    await db.query(`
      create table subject_keys (
        subject_id text primary key,
        key_id text not null unique,
        wrapped_key bytea,
        created_at timestamptz not null default now(),
        shredded_at timestamptz
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`drop view if exists consent_purposes`);
    for (const table of [
      'subject_keys',
      'api_keys',
      'idempotency_keys',
      'consumer_offsets',
      'erasure_steps',
      'erasure_requests',
      'subject_state',
    ]) {
      await db.query(`drop table if exists ${table}`);
    }
  }
}
