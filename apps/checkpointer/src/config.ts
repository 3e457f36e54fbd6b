import { checkpointKeyFrom, databaseSchemaFrom, Endpoints, endpointsFrom, Env, integer, startupTimeoutMsFrom, TopicSettings, topicSettingsFrom } from '@lethe/config';
import { consumerGroupsFor } from '@lethe/contracts';

export interface CheckpointerConfig {
  endpoints: Endpoints;
  topics: TopicSettings;
  startupTimeoutMs: number;
  groupId: string;
  databaseSchema?: string;
  /** A checkpoint at least every this many records of a partition... */
  everyRecords: number;
  /** ...and, when a partition has news, at least this often. */
  intervalMs: number;
  /** The Ed25519 seed that signs checkpoints (LETHE_CHECKPOINT_KEY). */
  keySeed: Buffer;
  developmentKey: boolean;
}

export function loadCheckpointerConfig(env: Env): CheckpointerConfig {
  const topics = topicSettingsFrom(env);
  const key = checkpointKeyFrom(env);
  return {
    endpoints: endpointsFrom(env),
    topics,
    startupTimeoutMs: startupTimeoutMsFrom(env),
    groupId: consumerGroupsFor(topics.prefix).checkpointer,
    databaseSchema: databaseSchemaFrom(env),
    // Each checkpoint carries its records' digests (about 60 bytes each) in one Kafka record.
    everyRecords: integer(env, 'LETHE_CHECKPOINT_EVERY_RECORDS', 1_000, 1, 10_000),
    intervalMs: integer(env, 'LETHE_CHECKPOINT_INTERVAL_MS', 5_000, 100, 3_600_000),
    keySeed: key.seed,
    developmentKey: key.development,
  };
}
