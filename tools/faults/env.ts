import { resolve } from 'node:path';

/** The repository root. */
export const ROOT = resolve(__dirname, '../..');
export const STACK_SCRIPT = resolve(ROOT, 'deploy/local/stack.sh');

/**
 * Where the fault suite's own services live: a three-node cluster, a registry and a Redis of its
 * own, on ports apart from the shared local stack's (so the suite can run after `npm test`, and a
 * scenario can kill what it likes), and below Linux's ephemeral range (32768-60999): a port in it
 * may be held by some outgoing connection when a killed broker binds it again. PostgreSQL is the
 * machine's; each run gets fresh schemas.
 */
export function faultsStack(env: NodeJS.ProcessEnv = process.env) {
  const kafkaPort = Number(env.LETHE_FAULTS_KAFKA_PORT ?? 29092);
  const registryPort = Number(env.LETHE_FAULTS_REGISTRY_PORT ?? 28081);
  const redisPort = Number(env.LETHE_FAULTS_REDIS_PORT ?? 6390);
  const stackDir = env.LETHE_FAULTS_STACK_DIR ?? resolve(ROOT, '.cache/faults-stack');
  return {
    brokers: 3,
    kafkaPort,
    registryPort,
    redisPort,
    stackDir,
    /** What stack.sh reads for this stack. */
    stackEnv: { LETHE_STACK_DIR: stackDir, LETHE_KAFKA_PORT: String(kafkaPort), LETHE_KAFKA_CONTROLLER_PORT: String(kafkaPort + 100), LETHE_REGISTRY_PORT: String(registryPort), LETHE_BROKERS: '3' },
    /** What Lethe's apps and the checker read. */
    endpoints: {
      KAFKA_BROKERS: [0, 1, 2].map((n) => `127.0.0.1:${kafkaPort + n}`).join(','),
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
      DATABASE_URL: env.LETHE_FAULTS_DATABASE_URL ?? 'postgres://lethe:lethe@127.0.0.1:5432/lethe_test',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    },
    /** Results of each scenario, one JSON file per scenario (RELIABILITY.md's table is made from them). */
    resultsDir: env.LETHE_FAULTS_RESULTS ?? resolve(ROOT, 'tools/faults/results'),
  };
}
