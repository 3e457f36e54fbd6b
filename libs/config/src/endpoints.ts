/**
 * Where Lethe's services live. Each comes from its environment variable when set, otherwise
 * from the local stack that `npm run stack:up` starts (deploy/local/stack.sh), whose ports
 * follow the same LETHE_* variables the script reads.
 */
export interface Endpoints {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  databaseUrl: string;
  redisUrl: string;
}

export type Env = Record<string, string | undefined>;

export function endpointsFrom(env: Env, localDatabase = 'lethe'): Endpoints {
  const kafkaPort = Number(env.LETHE_KAFKA_PORT ?? '9092');
  const registryPort = env.LETHE_REGISTRY_PORT ?? '8081';
  // A local cluster of LETHE_BROKERS nodes listens on consecutive ports (stack.sh up --brokers N).
  const localBrokers = Array.from({ length: Math.max(1, Number(env.LETHE_BROKERS ?? 1) || 1) }, (_, n) => `127.0.0.1:${kafkaPort + n}`);
  return {
    kafkaBrokers: (env.KAFKA_BROKERS ?? localBrokers.join(','))
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
    databaseUrl: env.DATABASE_URL ?? `postgres://lethe:lethe@127.0.0.1:5432/${localDatabase}`,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}

/** True when the caller named its own Kafka and registry, so the local stack is not needed. */
export function usesExternalStack(env: Env): boolean {
  return Boolean(env.KAFKA_BROKERS && env.SCHEMA_REGISTRY_URL);
}
