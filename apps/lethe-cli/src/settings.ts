import { logLevel } from 'kafkajs';
import { ConfigError, databaseSchemaFrom, endpointsFrom, Env, integer, topicSettingsFrom } from '@lethe/config';
import { readSystemsFile, SystemEntry } from '@lethe/connectors';
import { consumerGroupsFor, TopicNames } from '@lethe/contracts';
import { createKafka } from '@lethe/kafka';
import { Refusal, UsageError } from './cli';

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
  /** The consumer group of a downstream system's erasure worker. */
  systemGroup: (system: string) => string;
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
      systemGroup: consumerGroupsFor(topics.prefix).erasureWorker,
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

/** The systems of LETHE_SYSTEMS_FILE, as the erasure workers read them; `only` picks one, refused (exit 3) when not declared. */
export function declaredSystems(env: Env, only?: string): SystemEntry[] {
  const path = env.LETHE_SYSTEMS_FILE;
  if (!path) throw new UsageError('LETHE_SYSTEMS_FILE must name the downstream systems file, as for the erasure workers');
  let systems: SystemEntry[];
  try {
    systems = readSystemsFile(path).systems;
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`LETHE_SYSTEMS_FILE: ${error.message}`);
    throw error;
  }
  if (only === undefined) return systems;
  const entry = systems.find((system) => system.name === only);
  if (!entry) throw new Refusal('--system names no system of LETHE_SYSTEMS_FILE');
  return [entry];
}
