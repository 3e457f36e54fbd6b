import { ConfigError, Endpoints, endpointsFrom, Env, integer, LogLevel, logLevelsFrom, startupTimeoutMsFrom, topicSettingsFrom } from '@lethe/config';

export interface NewsletterConfig {
  endpoints: Endpoints;
  /** LETHE_TOPIC_PREFIX of the Lethe installation it follows; its own topics use it too. */
  topicPrefix: string;
  host: string;
  port: number;
  /** How long start-up waits for the broker and for the guard to catch up (LETHE_STACK_TIMEOUT). */
  startupTimeoutMs: number;
  /** The guard answers "stale" (and jobs wait) past this long without confirming it is caught up. */
  guardMaxStalenessMs: number;
  /** Partitions of the jobs topic when the newsletter creates it. */
  jobPartitions: number;
  logLevels: LogLevel[];
}

/** Reads and checks the configuration once, at boot; a bad value stops the process, naming it. */
export function loadNewsletterConfig(env: Env): NewsletterConfig {
  const host = env.NEWSLETTER_HOST || '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new ConfigError('NEWSLETTER_HOST must be a host name or an IP address');
  return {
    endpoints: endpointsFrom(env),
    topicPrefix: topicSettingsFrom(env).prefix,
    host,
    port: integer(env, 'NEWSLETTER_PORT', 3200, 1, 65_535),
    startupTimeoutMs: startupTimeoutMsFrom(env),
    guardMaxStalenessMs: integer(env, 'NEWSLETTER_GUARD_MAX_STALENESS_MS', 30_000, 1_000, 3_600_000),
    jobPartitions: integer(env, 'NEWSLETTER_JOB_PARTITIONS', 3, 1, 1_000),
    logLevels: logLevelsFrom(env),
  };
}
