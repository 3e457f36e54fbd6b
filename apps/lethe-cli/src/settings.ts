import { logLevel } from 'kafkajs';
import { ConfigError, databaseSchemaFrom, endpointsFrom, Env, integer, topicSettingsFrom } from '@lethe/config';
import { consumerGroupsFor, TopicNames } from '@lethe/contracts';
import { createKafka } from '@lethe/kafka';
import { UsageError } from './cli';

export interface CliSettings {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  databaseUrl: string;
  topics: TopicNames;
  /** The live projection's schema (LETHE_DB_SCHEMA), undefined for the default search path. */
  liveSchema?: string;
  /** The projector's consumer group: a rebuilt schema stores its positions under it, so a projector can continue from it. */
  projectorGroup: string;
  maxBatchRecords: number;
}

/** The settings the apps read, read the same way; a bad one is a usage error naming it. */
export function cliSettings(env: Env): CliSettings {
  try {
    const endpoints = endpointsFrom(env);
    const topics = topicSettingsFrom(env);
    return {
      kafkaBrokers: endpoints.kafkaBrokers,
      schemaRegistryUrl: endpoints.schemaRegistryUrl,
      databaseUrl: endpoints.databaseUrl,
      topics: topics.names,
      liveSchema: databaseSchemaFrom(env),
      projectorGroup: env.LETHE_PROJECTOR_GROUP ?? consumerGroupsFor(topics.prefix).projector,
      maxBatchRecords: integer(env, 'LETHE_PROJECTOR_MAX_BATCH', 10_000, 1, 100_000),
    };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** Quiet, and quick to give up on an unreachable broker: the command reports what failed in one line. */
export function cliKafka(settings: CliSettings) {
  return createKafka({ brokers: settings.kafkaBrokers, clientId: 'lethe-cli', logLevel: logLevel.NOTHING, retries: 3 });
}
