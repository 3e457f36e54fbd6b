import type { Env } from './endpoints';

/** A configuration value that cannot be used; the process refuses to start and says which. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export interface TopicSettings {
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
}

/** How Lethe's topics are created: the same for every app that may create them first. */
export function topicSettingsFrom(env: Env): TopicSettings {
  const replicationFactor = integer(env, 'LETHE_REPLICATION_FACTOR', 1, 1, 16);
  const minInsyncReplicas = integer(env, 'LETHE_MIN_INSYNC_REPLICAS', Math.min(2, replicationFactor), 1, 16);
  if (minInsyncReplicas > replicationFactor) {
    throw new ConfigError(
      `LETHE_MIN_INSYNC_REPLICAS (${minInsyncReplicas}) cannot exceed LETHE_REPLICATION_FACTOR (${replicationFactor})`,
    );
  }
  return { partitions: integer(env, 'LETHE_TOPIC_PARTITIONS', 6, 1, 1_000), replicationFactor, minInsyncReplicas };
}

/**
 * LETHE_MASTER_KEY wraps every subject's data key: 32 bytes, base64. It is required whenever
 * DATABASE_URL names a real database; on local defaults a fixed development key is used, and
 * identifiers encrypted under it are only as safe as this repository.
 */
export function masterKeyFrom(env: Env): { key: Buffer; development: boolean } {
  const raw = env.LETHE_MASTER_KEY;
  if (!raw) {
    if (env.DATABASE_URL) {
      throw new ConfigError('LETHE_MASTER_KEY is required with DATABASE_URL: 32 random bytes in base64 (openssl rand -base64 32)');
    }
    return { key: Buffer.from('lethe-local-development-only-key', 'utf8'), development: true };
  }
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError(`LETHE_MASTER_KEY must be 32 bytes in base64, got ${key.length} bytes`);
  return { key, development: false };
}

/** LETHE_DB_SCHEMA: keep Lethe's tables in their own PostgreSQL schema. */
export function databaseSchemaFrom(env: Env): string | undefined {
  const schema = env.LETHE_DB_SCHEMA;
  if (schema === undefined || schema === '') return undefined;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError(`LETHE_DB_SCHEMA must be a lower-case SQL identifier, got "${schema}"`);
  }
  return schema;
}

/** Runs one start-up connection step; a failure says which service did not answer. */
export async function reach<T>(what: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    throw new Error(`could not reach ${what}: ${(error as Error).message}`);
  }
}

export type LogLevel = 'error' | 'warn' | 'log' | 'debug';
const LOG_LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug'];

/** LETHE_LOG_LEVEL: the most verbose level logged (default log); returns every level up to it. */
export function logLevelsFrom(env: Env): LogLevel[] {
  const level = (env.LETHE_LOG_LEVEL ?? 'log') as LogLevel;
  const index = LOG_LEVELS.indexOf(level);
  if (index < 0) throw new ConfigError(`LETHE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  return LOG_LEVELS.slice(0, index + 1);
}

export interface MetricsEndpoint {
  port: number;
  host: string;
}

/** LETHE_METRICS_PORT (unset or 0: none) and LETHE_METRICS_HOST: where a consumer serves GET /metrics. */
export function metricsEndpointFrom(env: Env): MetricsEndpoint | undefined {
  const port = integer(env, 'LETHE_METRICS_PORT', 0, 0, 65_535);
  return port === 0 ? undefined : { port, host: env.LETHE_METRICS_HOST || '127.0.0.1' };
}
