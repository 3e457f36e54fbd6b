import { TopicNames, topicsFor } from '@lethe/contracts';
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
  /** LETHE_TOPIC_PREFIX: put before every topic, registry subject and consumer group name. */
  prefix: string;
  names: TopicNames;
  /** Each unset value is chosen when the topics are created (libs/kafka topic-plan.ts). */
  partitions?: number;
  replicationFactor?: number;
  minInsyncReplicas?: number;
}

/** How Lethe's topics are named and created: the same for every app that may create them first. */
export function topicSettingsFrom(env: Env): TopicSettings {
  const replicationFactor = optionalInteger(env, 'LETHE_REPLICATION_FACTOR', 1, 16);
  const minInsyncReplicas = optionalInteger(env, 'LETHE_MIN_INSYNC_REPLICAS', 1, 16);
  if (minInsyncReplicas !== undefined && replicationFactor !== undefined && minInsyncReplicas > replicationFactor) {
    throw new ConfigError(
      `LETHE_MIN_INSYNC_REPLICAS (${minInsyncReplicas}) cannot exceed LETHE_REPLICATION_FACTOR (${replicationFactor})`,
    );
  }
  const prefix = topicPrefixFrom(env);
  const partitions = optionalInteger(env, 'LETHE_TOPIC_PARTITIONS', 1, 1_000);
  return { prefix, names: topicsFor(prefix), partitions, replicationFactor, minInsyncReplicas };
}

function optionalInteger(env: Env, name: string, min: number, max: number): number | undefined {
  return env[name] === undefined || env[name] === '' ? undefined : integer(env, name, 0, min, max);
}

/** Kafka's rule for topic names: these characters, at most 249 of them. */
const TOPIC_CHARACTERS = /^[A-Za-z0-9._-]*$/;
const MAX_TOPIC_LENGTH = 249;

function topicPrefixFrom(env: Env): string {
  const prefix = env.LETHE_TOPIC_PREFIX ?? '';
  if (!TOPIC_CHARACTERS.test(prefix)) {
    throw new ConfigError('LETHE_TOPIC_PREFIX may hold only ASCII letters, digits, ".", "_" and "-" (Kafka topic names)');
  }
  const longest = Math.max(...Object.values(topicsFor(prefix)).map((topic) => topic.length));
  if (longest > MAX_TOPIC_LENGTH) {
    throw new ConfigError(`LETHE_TOPIC_PREFIX is too long: topic names would have ${longest} characters, Kafka allows ${MAX_TOPIC_LENGTH}`);
  }
  return prefix;
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

/** How long a start-up step keeps retrying a service that is still starting, and which errors say so. */
export interface Patience {
  deadlineMs: number;
  stillStarting: (error: unknown) => boolean;
}

/**
 * Runs one start-up connection step; a failure says which service did not answer. With
 * `patience`, errors of a service that is up but still starting (a broker loading its group
 * coordinator) are retried until the deadline; any other error fails at once.
 */
export async function reach<T>(what: string, connect: () => Promise<T>, patience?: Patience): Promise<T> {
  const deadline = Date.now() + (patience?.deadlineMs ?? 0);
  for (;;) {
    try {
      return await connect();
    } catch (error) {
      if (error instanceof ConfigError) throw error; // the service answered: its settings are wrong
      if (!patience?.stillStarting(error) || Date.now() >= deadline) {
        const waited = patience?.stillStarting(error) ? ` (still starting after ${patience.deadlineMs / 1000} s)` : '';
        throw new Error(`could not reach ${what}${waited}: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, Math.max(0, deadline - Date.now()))));
    }
  }
}

/**
 * LETHE_STACK_TIMEOUT (seconds, default 120): how long start-up waits for services that are up
 * but still starting; the same setting bounds `stack.sh up`'s own waits.
 */
export function startupTimeoutMsFrom(env: Env): number {
  return integer(env, 'LETHE_STACK_TIMEOUT', 120, 1, 3_600) * 1_000;
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
