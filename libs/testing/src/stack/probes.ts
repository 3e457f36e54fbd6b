import { Kafka, logLevel } from 'kafkajs';
import Redis from 'ioredis';
import { Client } from 'pg';
// eslint-disable-next-line @nx/enforce-module-boundaries -- Jest loads globalSetup without moduleNameMapper
import type { Endpoints } from '../../../config/src/endpoints';
// eslint-disable-next-line @nx/enforce-module-boundaries -- Jest loads globalSetup without moduleNameMapper
import { servesProducersAndGroups } from '../../../kafka/src/startup';

/** One check per real service; each resolves, or rejects with what went wrong. */
const probes: Record<keyof Endpoints, (endpoints: Endpoints) => Promise<void>> = {
  kafkaBrokers: async ({ kafkaBrokers }) => {
    const kafka = new Kafka({ clientId: 'lethe-probe', brokers: kafkaBrokers, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.describeCluster();
    } finally {
      await admin.disconnect();
    }
    // What every test does first; a broker that answers metadata may still be loading these.
    await servesProducersAndGroups(kafka);
  },
  schemaRegistryUrl: async ({ schemaRegistryUrl }) => {
    const response = await fetch(`${schemaRegistryUrl}/subjects`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`GET /subjects answered ${response.status}`);
  },
  databaseUrl: async ({ databaseUrl }) => {
    const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query('select 1');
    } finally {
      await client.end();
    }
  },
  redisUrl: async ({ redisUrl }) => {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  },
};

const names: Record<keyof Endpoints, string> = {
  kafkaBrokers: 'Kafka (KAFKA_BROKERS)',
  schemaRegistryUrl: 'schema registry (SCHEMA_REGISTRY_URL)',
  databaseUrl: 'PostgreSQL (DATABASE_URL)',
  redisUrl: 'Redis (REDIS_URL)',
};

/** Lists every service that does not answer, as readable lines; empty when all do. */
export async function unreachableServices(endpoints: Endpoints): Promise<string[]> {
  const keys = Object.keys(probes) as (keyof Endpoints)[];
  const results = await Promise.allSettled(keys.map((key) => probes[key](endpoints)));
  return results.flatMap((result, i) =>
    result.status === 'rejected' ? [`${names[keys[i]]}: ${(result.reason as Error).message}`] : [],
  );
}
