import { DataSource } from 'typeorm';
import { GuardedPgClient } from './pg-client';
import { InitialSchema1732350000000 } from './migrations/1732350000000-initial-schema';
import { ErasureRetries1732400000000 } from './migrations/1732400000000-erasure-retries';
import { ErasureOperations1732500000000 } from './migrations/1732500000000-erasure-operations';
import { ErasureEvents1732600000000 } from './migrations/1732600000000-erasure-events';
import { OutstandingSteps1732700000000 } from './migrations/1732700000000-outstanding-steps';
import { ErasureKeysPerSubject1732800000000 } from './migrations/1732800000000-erasure-keys-per-subject';
import { ShreddedSubjects1732900000000 } from './migrations/1732900000000-shredded-subjects';
import { LogCheckpoints1733017000000 } from './migrations/1733017000000-log-checkpoints';
import { IdentityRetention1733100000000 } from './migrations/1733100000000-identity-retention';

export const MIGRATIONS = [
  InitialSchema1732350000000,
  ErasureRetries1732400000000,
  ErasureOperations1732500000000,
  ErasureEvents1732600000000,
  OutstandingSteps1732700000000,
  ErasureKeysPerSubject1732800000000,
  ShreddedSubjects1732900000000,
  LogCheckpoints1733017000000,
  IdentityRetention1733100000000,
];

export interface DatabaseOptions {
  url: string;
  /** Connections in the pool. */
  poolSize?: number;
  /** A PostgreSQL schema of its own (tests use one per suite); created if missing. */
  schema?: string;
}

/**
 * Lethe's PostgreSQL connection. Tables come only from migrations, never from `synchronize`.
 * Queries are plain SQL through TypeORM's query runner: the projector's multi-row upserts
 * and the stores are clearer in SQL than through entity managers.
 */
export function createDataSource({ url, poolSize = 10, schema }: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    schema,
    // At least two: migrations run on one connection while another holds their advisory lock.
    // GuardedPgClient: a connection the server ends as it is handed out must not end the process.
    extra: { Client: GuardedPgClient, max: Math.max(2, poolSize), ...(schema ? { options: `-c search_path=${schema}` } : {}) },
    migrations: MIGRATIONS,
    migrationsTableName: 'lethe_migrations',
    synchronize: false,
    // TypeORM's error log prints a failed query's parameters: the rows, with whatever personal
    // data they hold. Errors still reach the callers, as exceptions.
    logging: false,
  });
}

/** Connects and brings the schema up to date. */
export async function openDatabase(options: DatabaseOptions): Promise<DataSource> {
  const dataSource = createDataSource(options);
  await dataSource.initialize();
  if (options.schema) await dataSource.query(`create schema if not exists "${options.schema}"`);
  // Several apps start at once and each migrates: one at a time, under an advisory lock.
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`select pg_advisory_lock(hashtext('lethe_migrations'))`);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query(`select pg_advisory_unlock(hashtext('lethe_migrations'))`).catch(() => undefined);
    await runner.release();
  }
  return dataSource;
}
