import { stackCommand } from './cluster';
import { faultsStack } from './env';
import { suiteRedis } from './redis-server';

/**
 * The fault suite's own services: a three-node cluster and a registry (stack.sh up --brokers 3
 * in a stack dir of its own) and a Redis on a spare port. Its variables are what every scenario
 * and the apps it starts read. PostgreSQL is the machine's (each scenario makes its own schema).
 */
export default async function globalSetup(): Promise<void> {
  const stack = faultsStack();
  console.log(`\n[faults] starting a three-node cluster on ${stack.endpoints.KAFKA_BROKERS}, a registry on ${stack.registryPort} and Redis on ${stack.redisPort} (${stack.stackDir})`);
  stackCommand(['up', '--brokers', '3'], stack);
  await suiteRedis(stack).start();
  Object.assign(process.env, stack.endpoints, { LETHE_LOG_LEVEL: process.env.LETHE_LOG_LEVEL ?? 'warn' });
}
