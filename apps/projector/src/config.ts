import { databaseSchemaFrom, Endpoints, endpointsFrom, Env, integer, MetricsEndpoint, metricsEndpointFrom, startupTimeoutMsFrom, TopicSettings, topicSettingsFrom } from '@lethe/config';
import { consumerGroupsFor } from '@lethe/contracts';

export interface ProjectorConfig {
  endpoints: Endpoints;
  topics: TopicSettings;
  /** How long start-up waits for a broker that is still starting (LETHE_STACK_TIMEOUT). */
  startupTimeoutMs: number;
  groupId: string;
  databaseSchema?: string;
  /** Upper bound of records folded per PostgreSQL transaction. */
  maxBatchRecords: number;
  /** Partitions folded at the same time; each partition's subjects are disjoint. */
  concurrency: number;
  /** A member that has not heartbeated for this long loses its partitions to the others. */
  sessionTimeoutMs: number;
  /** Fault injection: a stall before each transaction, to test a stale owner. 0 in production. */
  faultDelayMs: number;
  /** Fault injection: a stall inside the first transaction just before it publishes, to test late publications. 0 in production. */
  faultPublishDelayMs: number;
  /** How often ended identity retentions are looked for and shredded (docs/adr/0022). */
  retentionSweepMs: number;
  metrics?: MetricsEndpoint;
}

export function loadProjectorConfig(env: Env): ProjectorConfig {
  const topics = topicSettingsFrom(env);
  return {
    endpoints: endpointsFrom(env),
    topics,
    startupTimeoutMs: startupTimeoutMsFrom(env),
    groupId: env.LETHE_PROJECTOR_GROUP ?? consumerGroupsFor(topics.prefix).projector,
    databaseSchema: databaseSchemaFrom(env),
    maxBatchRecords: integer(env, 'LETHE_PROJECTOR_MAX_BATCH', 10_000, 1, 100_000),
    concurrency: integer(env, 'LETHE_PROJECTOR_CONCURRENCY', 3, 1, 64),
    // The broker's default group.min/max.session.timeout.ms bound it: 6 s to 30 min.
    sessionTimeoutMs: integer(env, 'LETHE_PROJECTOR_SESSION_TIMEOUT_MS', 30_000, 6_000, 1_800_000),
    faultDelayMs: integer(env, 'LETHE_PROJECTOR_FAULT_DELAY_MS', 0, 0, 600_000),
    faultPublishDelayMs: integer(env, 'LETHE_PROJECTOR_FAULT_PUBLISH_DELAY_MS', 0, 0, 600_000),
    // Retentions run in months; an hour late is nothing, and the sweep reads only what is due.
    retentionSweepMs: integer(env, 'LETHE_RETENTION_SWEEP_MS', 3_600_000, 1_000, 86_400_000),
    metrics: metricsEndpointFrom(env),
  };
}
