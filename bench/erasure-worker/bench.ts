/**
 * Erasure worker throughput. Seeds N customers in a shop database (customer, two addresses, two
 * orders with payments), N session keys in Redis and N records on a compacted profile topic;
 * writes N erasure requests (with an e-mail identity, encrypted as the API does) to consent.log;
 * then measures in the same run:
 *   1. the broker's own consumer (kafka-consumer-perf-test) reading the N requests, and
 *   2. the real erasure worker (startWorker, one process running the three systems, each its own
 *      consumer group) from start until every system has acknowledged every request, and
 *   3. each connector's bare ceiling (ceilings.ts): a plain loop issuing that connector's SQL
 *      transactions (as many subjects in each as the connector puts there under load), Redis
 *      commands or tombstone per subject, with the worker's concurrency, on a second copy of the
 *      seeded data,
 * and prints each system's rate against its ceiling. Run through bench/run.sh (npm run bench:worker).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { endpointsFrom, masterKeyFrom, topicSettingsFrom } from '@lethe/config';
import { ConsentEvent, ConsentEventCodec, subjectsFor } from '@lethe/contracts';
import { encryptIdentities, PostgresKeyStore } from '@lethe/identity-vault';
import { ACKS_ALL, appendToConsentLog, createKafka, createSafeProducer, ensureTopics } from '@lethe/kafka';
import { openDatabase } from '@lethe/persistence';
import { validateSqlConfig } from '@lethe/connectors';
import { createShopSchema, shopConfig } from '@lethe/testing';
import { loadWorkerConfig } from '../../apps/erasure-worker/src/config';
import { startWorker } from '../../apps/erasure-worker/src/runtime';
import { consumerPerfTest, figure, log, peakRss, rate } from '../common';
import { cacheCeiling, kafkaCeiling, sqlCeiling } from './ceilings';

const total = Number(process.argv[2] ?? 20_000);
const partitions = 6;
const endpoints = endpointsFrom(process.env);
const topics = topicSettingsFrom(process.env).names;
const run = randomUUID().slice(0, 8);
const subjectPrefix = `bench-${run}-`;
const subjectOf = (n: number) => `${subjectPrefix}${n}`;
const bareSessionKey = (subject: string) => `bench:bare-session:${subject}`;
const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'bench-worker' });

/** N customers with two addresses, two orders and their payments, inserted set-wise. */
async function seedShop(pool: Pool): Promise<string> {
  const schema = await createShopSchema(pool);
  await pool.query(`
    set search_path to "${schema}";
    insert into customers (external_id, email, name) select '${subjectPrefix}' || n, 'c' || n || '@example.com', 'Customer ' || n from generate_series(0, ${total - 1}) n;
    insert into addresses (customer_id, street, city) select id, 'Street ' || k, 'Berlin' from customers, generate_series(1, 2) k;
    insert into orders (customer_id, shipping_name, shipping_address, gift_note, amount, ordered_at, delivered_at)
      select id, name, 'Street 1, Berlin', null, 10 * k, '2025-01-01', '2025-01-02' from customers, generate_series(1, 2) k;
    insert into payments (order_id, card_holder, card_expiry, amount, paid_at) select id, upper(shipping_name), '2027-01-31', amount, ordered_at from orders;
    insert into invoices (customer_id, invoice_number, billing_name, billing_email, amount) select id, 'INV-' || id, name, email, 20 from customers;
    -- As a production shop would have them: without these, every step scans whole tables.
    create index on addresses (customer_id); create index on reviews (customer_id); create index on orders (customer_id);
    create index on payments (order_id); create index on invoices (customer_id);
    analyze;
    set search_path to default;`);
  return schema;
}

async function seedCache(redis: Redis, keyOf: (subject: string) => string): Promise<void> {
  for (let n = 0; n < total; n += 5_000) {
    const pipeline = redis.pipeline();
    for (let i = n; i < Math.min(total, n + 5_000); i++) pipeline.set(keyOf(subjectOf(i)), 'token', 'EX', 3_600);
    await pipeline.exec();
  }
}

async function seedProfiles(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
  await admin.disconnect();
  const producer = createSafeProducer(kafka);
  await producer.connect();
  for (let n = 0; n < total; n += 5_000) {
    const messages = Array.from({ length: Math.min(5_000, total - n) }, (_, i) => ({ key: subjectOf(n + i), value: '{"tier":"gold"}' }));
    await producer.send({ topic, acks: ACKS_ALL, messages });
  }
  await producer.disconnect();
}

/** The requests, as consent-api writes them: identities encrypted under each subject's key. */
async function writeRequests(schema: string, systems: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, { names: topics, partitions, replicationFactor: 1, minInsyncReplicas: 1 });
  await admin.disconnect();
  const db = await openDatabase({ url: endpoints.databaseUrl, schema });
  const keys = new PostgresKeyStore(db, masterKeyFrom(process.env).key);
  const codec = ConsentEventCodec.forRegistry(endpoints.schemaRegistryUrl, subjectsFor(topics).consentLogValue);
  const producer = createSafeProducer(kafka);
  await producer.connect();
  const started = Date.now();
  for (let sent = 0; sent < total; ) {
    const size = Math.min(1_000, total - sent);
    await appendToConsentLog(producer, codec, topics.consentLog, await Promise.all(Array.from({ length: size }, (_, i) => request(sent + i))));
    sent += size;
    if (sent % 10_000 === 0 || sent === total) log(`requested ${sent}/${total}`);
  }
  log(`wrote ${total} erasure requests at ${rate(total, Date.now() - started)} requests/s`);
  await producer.disconnect();
  await db.destroy();

  async function request(n: number): Promise<ConsentEvent> {
    const subject = subjectOf(n);
    const now = Date.now();
    return {
      event_id: randomUUID(),
      subject_id: subject,
      occurred_at: now,
      recorded_at: now,
      source: 'API',
      actor: 'bench',
      jurisdiction: 'GDPR',
      policy_version: null,
      purposes: [],
      correlation_id: null,
      causation_id: null,
      identities: encryptIdentities([{ type: 'email', value: `c${n}@example.com` }], subject, await keys.keyFor(subject)),
      payload: { type: 'ErasureRequested', request_id: `bench-${run}-${n}`, scope: 'ALL', keep_transaction_history: true, systems, all_systems: false },
    };
  }
}

/**
 * Until every system's group has committed past the last request: each step is acknowledged then.
 * Per group, the ms from `started` to the end, and from its first committed offset (the group
 * joined and working; JVM-free start-up costs left out) to the end with the steps done meanwhile.
 */
async function waitForWorker(groups: string[], ends: Map<number, number>, started: number): Promise<Map<string, { ms: number; steady: { steps: number; ms: number } }>> {
  const admin = kafka.admin();
  await admin.connect();
  const finished = new Map<string, { ms: number; steady: { steps: number; ms: number } }>();
  const first = new Map<string, { done: number; at: number }>();
  let lastReport = Date.now();
  while (finished.size < groups.length) {
    for (const group of groups.filter((g) => !finished.has(g))) {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topics.consentLog] });
      const done = offsets.partitions.reduce((sum, p) => sum + Math.min(Math.max(Number(p.offset), 0), ends.get(p.partition) ?? 0), 0);
      if (done > 0 && !first.has(group)) first.set(group, { done, at: Date.now() });
      const since = first.get(group) ?? { done: 0, at: started };
      if (done >= total) finished.set(group, { ms: Date.now() - started, steady: { steps: total - since.done, ms: Date.now() - since.at } });
      else if (Date.now() - lastReport >= 5_000) {
        lastReport = Date.now();
        log(`${group}: ${done}/${total} requests acknowledged, ${rate(done, Date.now() - started)}/s so far`);
      }
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  await admin.disconnect();
  return finished;
}

async function main(): Promise<void> {
  Logger.overrideLogger(['log', 'warn', 'error']); // as the worker runs by default: no per-step lines
  log(`${total} erasure requests, ${partitions} partitions, three systems (sql, cache, kafka), broker ${endpoints.kafkaBrokers.join(',')}`);
  const pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  const redis = new Redis(endpoints.redisUrl);
  const dir = mkdtempSync(join(tmpdir(), 'lethe-bench-'));
  const profileTopic = `bench.profiles.${run}`;
  const schema = `bench_worker_${run}`;
  const names = { shop: 'bench-shop', cache: 'bench-cache', profiles: 'bench-profiles' };
  try {
    const shopSchema = await seedShop(pool);
    await seedCache(redis, (subject) => `bench:session:${subject}`);
    await seedProfiles(profileTopic);
    // The same again for the bare ceilings, so they erase as much as the worker does.
    const bareShopSchema = await seedShop(pool);
    await seedCache(redis, bareSessionKey);
    await seedProfiles(`${profileTopic}.bare`);
    log(`seeded ${total} customers (${shopSchema}), session keys and profile records, twice (worker, bare ceilings)`);
    await writeRequests(schema, Object.values(names));

    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topics.consentLog)).map((p) => [p.partition, Number(p.high)]));
    await admin.disconnect();
    const perf = consumerPerfTest(endpoints, topics.consentLog, total);

    const { system: _system, ...shop } = shopConfig(endpoints.databaseUrl, shopSchema);
    const systemsFile = join(dir, 'systems.json');
    writeFileSync(
      systemsFile,
      JSON.stringify({
        systems: [
          { name: names.shop, type: 'sql', ...shop },
          { name: names.cache, type: 'cache', url: endpoints.redisUrl, keys: ['bench:session:{subjectId}'] },
          { name: names.profiles, type: 'kafka', topics: [{ topic: profileTopic, key: '{subjectId}' }] },
        ],
      }),
    );
    const config = { ...loadWorkerConfig({ ...process.env, LETHE_SYSTEMS_FILE: systemsFile }), databaseSchema: schema };
    const groupOf = (system: string) => `bench-${run}-${system}`;
    const started = Date.now();
    const worker = await startWorker(
      config,
      (error) => {
        console.error(`[bench] worker stopped: ${error.message}`);
        process.exit(1);
      },
      { clientId: 'bench-erasure-worker', groupIdOf: groupOf },
    );
    const finished = await waitForWorker(Object.values(names).map(groupOf), ends, started);
    const elapsed = Math.max(...[...finished.values()].map(({ ms }) => ms));
    await worker.stop();
    const left = await pool.query(`select count(*)::int as n from "${shopSchema}".customers`);
    if (left.rows[0].n !== 0) throw new Error(`${left.rows[0].n} customers were not erased`);

    // The ceilings, one after another as the worker ran its systems side by side: each alone is
    // the most its system can do with this concurrency.
    const concurrency = config.partitionsAtOnce * config.stepsAtOnce;
    const subjects = Array.from({ length: total }, (_, n) => subjectOf(n));
    const ceilings = {
      shop: await sqlCeiling(validateSqlConfig({ ...shop, system: names.shop, schema: bareShopSchema }), subjects),
      cache: await cacheCeiling(redis, `${names.cache}-bare`, bareSessionKey, subjects, concurrency),
      profiles: await kafkaCeiling(kafka, `${profileTopic}.bare`, subjects, concurrency),
    };
    const bareLeft = await pool.query(`select count(*)::int as n from "${bareShopSchema}".customers`);
    if (bareLeft.rows[0].n !== 0) throw new Error(`the sql ceiling left ${bareLeft.rows[0].n} customers`);
    log(`bare ceilings with ${concurrency} in flight: sql ${ceilings.shop}, cache ${ceilings.cache}, kafka ${ceilings.profiles} steps/s`);

    const connectorOf = { shop: 'sql', cache: 'cache', profiles: 'kafka' };
    const rows: string[] = [];
    for (const [system, name] of Object.entries(names) as [keyof typeof names, string][]) {
      const { ms, steady } = finished.get(groupOf(name)) ?? { ms: elapsed, steady: { steps: total, ms: elapsed } };
      const connector = connectorOf[system];
      log(`${groupOf(name)}: ${total} steps in ${(ms / 1000).toFixed(1)} s = ${rate(total, ms)} steps/s from start; ${rate(steady.steps, steady.ms)} steps/s from its first commit`);
      figure({ name: `erasure worker: ${connector} connector steps`, value: rate(total, ms), unit: 'steps/s', ceilingName: `bare ${connector} loop`, ceilingValue: ceilings[system] });
      rows.push(`| ${connector} | ${rate(total, ms)} | ${rate(steady.steps, steady.ms)} | ${ceilings[system]} | ${(rate(total, ms) / ceilings[system]).toFixed(3)} |`);
    }
    const requests = rate(total, elapsed);
    figure({ name: `erasure worker: ${total} requests acknowledged by all three systems`, value: requests, unit: 'requests/s', ceilingName: 'kafka-consumer-perf-test', ceilingValue: perf });
    peakRss('bench process running the erasure worker');
    log(`worker: ${total} requests acknowledged by all three systems in ${(elapsed / 1000).toFixed(1)} s = ${requests} requests/s, ${rate(3 * total, elapsed)} steps/s (kafka-consumer-perf-test ${perf} msg/s)`);
    console.log('');
    console.log(`| connector | worker (steps/s, from start) | worker (steps/s, from first commit) | bare loop (steps/s) | ratio (from start) |`);
    console.log(`| --- | --- | --- | --- | --- |`);
    for (const row of rows) console.log(row);
    await pool.query(`drop schema if exists "${shopSchema}" cascade; drop schema if exists "${bareShopSchema}" cascade; drop schema if exists "${schema}" cascade`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    for (const match of ['bench:*', `lethe:erasure-ledger:${names.cache}:*`, `lethe:erasure-ledger:${names.cache}-bare:*`]) {
      for await (const keys of redis.scanStream({ match, count: 1_000 })) if ((keys as string[]).length) await redis.del(...(keys as string[]));
    }
    await Promise.all([pool.end(), redis.quit()]);
  }
}

main().catch((error: Error) => {
  console.error(`[bench] failed: ${error.message}`);
  process.exit(1);
});
