import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- Jest loads globalSetup without moduleNameMapper
import { endpointsFrom, usesExternalStack } from '../../../config/src/endpoints';
import { unreachableServices } from './probes';

const stackScript = resolve(__dirname, '../../../../deploy/local/stack.sh');

/**
 * Integration tests run against real services. Named ones (KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
 * DATABASE_URL, REDIS_URL) are used as they are; otherwise the local stack is started here.
 * A service that still does not answer fails the run with a message saying how to fix it:
 * integration tests never skip.
 */
export default async function globalSetup(): Promise<void> {
  let endpoints = endpointsFrom(process.env, 'lethe_test');
  const external = usesExternalStack(process.env);

  if (!external && (await unreachableServices(endpoints)).length > 0) {
    console.log('\n[tests] starting the local stack (deploy/local/stack.sh up)');
    const run = spawnSync('bash', [stackScript, 'up'], { stdio: 'inherit' });
    if (run.status !== 0) {
      throw new Error(
        'the local stack did not start (see its output above). Start it with `npm run stack:up`, ' +
          'or point the tests at running services with KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL and REDIS_URL.',
      );
    }
    process.env.LETHE_STACK_STARTED_BY_TESTS = '1';
  }

  const missing = await unreachableServices(endpoints);
  if (missing.length > 0) {
    throw new Error(
      `integration tests need these services and they do not answer:\n  ${missing.join('\n  ')}\n` +
        'Start the local stack with `npm run stack:up`, or set the variables above to running services.',
    );
  }

  // Lethe's own apps, in-process or spawned by tests, log warnings and errors only.
  process.env.LETHE_LOG_LEVEL ??= 'warn';
  // Test processes share a few cores, so an API's event loop runs late without it being
  // overloaded: its loop-delay bound (docs/adr/0023) would refuse a test's writes at random.
  // The suites that test that bound set their own.
  process.env.LETHE_API_MAX_LOOP_DELAY_MS ??= '60000';
  endpoints = endpointsFrom(process.env, 'lethe_test');
  process.env.KAFKA_BROKERS = endpoints.kafkaBrokers.join(',');
  process.env.SCHEMA_REGISTRY_URL = endpoints.schemaRegistryUrl;
  process.env.DATABASE_URL = endpoints.databaseUrl;
  process.env.REDIS_URL = endpoints.redisUrl;
}
