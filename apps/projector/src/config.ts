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
    metrics: metricsEndpointFrom(env),
  };
}
