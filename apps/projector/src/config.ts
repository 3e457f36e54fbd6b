import { databaseSchemaFrom, Endpoints, endpointsFrom, Env, integer, MetricsEndpoint, metricsEndpointFrom, TopicSettings, topicSettingsFrom } from '@lethe/config';
import { CONSUMER_GROUPS } from '@lethe/contracts';

export interface ProjectorConfig {
  endpoints: Endpoints;
  topics: TopicSettings;
  groupId: string;
  databaseSchema?: string;
  /** Upper bound of records folded per PostgreSQL transaction. */
  maxBatchRecords: number;
  /** Partitions folded at the same time; each partition's subjects are disjoint. */
  concurrency: number;
  metrics?: MetricsEndpoint;
}

export function loadProjectorConfig(env: Env): ProjectorConfig {
  return {
    endpoints: endpointsFrom(env),
    topics: topicSettingsFrom(env),
    groupId: env.LETHE_PROJECTOR_GROUP ?? CONSUMER_GROUPS.projector,
    databaseSchema: databaseSchemaFrom(env),
    maxBatchRecords: integer(env, 'LETHE_PROJECTOR_MAX_BATCH', 10_000, 1, 100_000),
    concurrency: integer(env, 'LETHE_PROJECTOR_CONCURRENCY', 3, 1, 64),
    metrics: metricsEndpointFrom(env),
  };
}
