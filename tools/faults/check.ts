/**
 * npm run faults:check -- --requests <file.jsonl> --api <url> [--systems shop-db,sessions] [--service faults] [--shop-schema <schema>]
 *
 * The fault suite's invariants for one Lethe: reads its consent.log, PostgreSQL projection and
 * consent.state, and prints one line per invariant, PASS or FAIL, with counts. The requests file
 * is what a scenario's workload saved (tools/faults/results/<scenario>.requests.jsonl). Where Lethe
 * lives comes from its own variables: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL,
 * LETHE_DB_SCHEMA, LETHE_TOPIC_PREFIX, LETHE_SIGNING_KEY and LETHE_CHECKPOINT_KEY (to pin the
 * keys certificates and checkpoints are checked against), and LETHE_FAULTS_API_KEY (to fetch
 * certificates). With --shop-schema (and REDIS_URL), also that no completed erasure left its
 * subject's rows in that shop schema or its session key in that Redis. Exit 0 when every invariant holds, 1 when one fails, 2 on bad usage.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'pg';
import { endpointsFrom } from '@lethe/config';
import { createKafka } from '@lethe/kafka';
import { checkInvariants, formatInvariants } from './invariants';
import type { RequestRecord } from './workload';

async function main(): Promise<number> {
  const args = new Map<string, string>();
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) args.set(argv[i].replace(/^--/, ''), argv[i + 1] ?? '');
  const env = process.env;
  const file = args.get('requests');
  const api = args.get('api');
  if (!file || !api || !env.LETHE_DB_SCHEMA || !env.LETHE_TOPIC_PREFIX || !env.LETHE_FAULTS_API_KEY) {
    console.error('usage: npm run faults:check -- --requests <file.jsonl> --api <url> [--systems a,b] [--service faults] (with LETHE_DB_SCHEMA, LETHE_TOPIC_PREFIX, LETHE_FAULTS_API_KEY set)');
    return 2;
  }
  const endpoints = endpointsFrom(env);
  const requests = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestRecord);
  const pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  try {
    const { invariants } = await checkInvariants({
      kafka: createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'lethe-faults-check' }),
      registryUrl: endpoints.schemaRegistryUrl,
      pool,
      schema: env.LETHE_DB_SCHEMA,
      prefix: env.LETHE_TOPIC_PREFIX,
      service: args.get('service') ?? 'faults',
      requests,
      systems: (args.get('systems') ?? 'shop-db,sessions').split(','),
      api: { url: api, key: env.LETHE_FAULTS_API_KEY },
      env,
      ...(args.get('shop-schema') && { data: { shopSchema: args.get('shop-schema') as string, redisUrl: endpoints.redisUrl } }),
    });
    console.log(formatInvariants(invariants));
    return invariants.every((i) => i.pass) ? 0 : 1;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`faults:check failed: ${error.message}`);
    process.exit(2);
  },
);
