import {
  databaseSchemaFrom,
  Endpoints,
  endpointsFrom,
  Env,
  integer,
  LogLevel,
  logLevelsFrom,
  masterKeyFrom,
  signingKeyFrom,
  startupTimeoutMsFrom,
  TopicSettings,
  topicSettingsFrom,
} from '@lethe/config';
import { readSystemsFile, SystemsFile } from '@lethe/connectors';

export interface ApiConfig {
  endpoints: Endpoints;
  topics: TopicSettings;
  /** How long start-up waits for a broker that is still starting (LETHE_STACK_TIMEOUT). */
  startupTimeoutMs: number;
  host: string;
  port: number;
  /** How long a write may wait for the broker's acknowledgement before answering 503. */
  brokerTimeoutMs: number;
  /**
   * Writes in progress at once, at most (LETHE_API_MAX_PENDING_APPENDS); past it a write is
   * answered 503 `overloaded` with Retry-After before anything of it is done (docs/adr/0023).
   */
  maxPendingWrites: number;
  /**
   * Past this event-loop delay (ms, mean over the last second) writes are answered 503
   * `overloaded` too (LETHE_API_MAX_LOOP_DELAY_MS): the process is short of CPU.
   */
  maxLoopDelayMs: number;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  /** Requests per minute per API key (per client address without one). */
  rateLimitPerMinute: number;
  /**
   * Failed authentications per minute per client address (LETHE_API_AUTH_FAILURE_LIMIT); past it
   * the address gets 429 before any key it sends is looked up.
   */
  authFailuresPerMinute: number;
  /**
   * How long a looked-up API key is trusted without asking PostgreSQL again
   * (LETHE_API_KEY_CACHE_MS): the longest a revoked key keeps working here.
   */
  apiKeyCacheMs: number;
  logLevels: LogLevel[];
  masterKey: Buffer;
  developmentMasterKey: boolean;
  /** The Ed25519 seed that signs erasure certificates (LETHE_SIGNING_KEY). */
  signingKey: Buffer;
  developmentSigningKey: boolean;
  /** A PostgreSQL schema to use instead of the default search path (LETHE_DB_SCHEMA). */
  databaseSchema?: string;
  /**
   * The downstream systems file (LETHE_SYSTEMS_FILE), shared with the erasure workers: an erasure
   * request that names no systems fans out to every system declared there.
   */
  systems: SystemsFile | null;
  /**
   * Our own service level for erasure (LETHE_ERASURE_SLA_HOURS): an open request older than this
   * is reported overdue, an early warning well before the legal deadline. 0 flags every open one.
   */
  erasureSlaHours: number;
}

/**
 * About five times the writes in progress at which the API reaches its peak rate (50 connections,
 * BENCHMARKS.md): more only queue. At the measured 1,500-2,200 writes/s it is 120-170 ms of work.
 */
const DEFAULT_MAX_PENDING_WRITES = 256;

/** Reads and checks the configuration once, at boot; a bad value stops the process, saying which. */
export function loadApiConfig(env: Env): ApiConfig {
  const master = masterKeyFrom(env);
  const signing = signingKeyFrom(env);
  return {
    endpoints: endpointsFrom(env),
    topics: topicSettingsFrom(env),
    startupTimeoutMs: startupTimeoutMsFrom(env),
    host: env.LETHE_API_HOST ?? '127.0.0.1',
    port: integer(env, 'LETHE_API_PORT', 3000, 1, 65_535),
    brokerTimeoutMs: integer(env, 'LETHE_BROKER_TIMEOUT_MS', 10_000, 100, 120_000),
    maxPendingWrites: integer(env, 'LETHE_API_MAX_PENDING_APPENDS', DEFAULT_MAX_PENDING_WRITES, 1, 100_000),
    maxLoopDelayMs: integer(env, 'LETHE_API_MAX_LOOP_DELAY_MS', 200, 10, 60_000),
    bodyLimitBytes: integer(env, 'LETHE_API_BODY_LIMIT', 64 * 1024, 1024, 1024 * 1024),
    rateLimitPerMinute: integer(env, 'LETHE_API_RATE_LIMIT', 6_000, 1, 10_000_000),
    authFailuresPerMinute: integer(env, 'LETHE_API_AUTH_FAILURE_LIMIT', 30, 1, 100_000),
    apiKeyCacheMs: integer(env, 'LETHE_API_KEY_CACHE_MS', 5_000, 0, 60_000),
    logLevels: logLevelsFrom(env),
    masterKey: master.key,
    developmentMasterKey: master.development,
    signingKey: signing.seed,
    developmentSigningKey: signing.development,
    databaseSchema: databaseSchemaFrom(env),
    systems: env.LETHE_SYSTEMS_FILE ? readSystemsFile(env.LETHE_SYSTEMS_FILE) : null,
    erasureSlaHours: integer(env, 'LETHE_ERASURE_SLA_HOURS', 72, 0, 24 * 366),
  };
}
