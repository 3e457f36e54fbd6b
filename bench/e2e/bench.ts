/**
 * End to end through the real processes, at a fixed open-loop rate, next to a ceiling measured in
 * the same run:
 *   1. erasures: POST /v1/subjects/:id/erasure-requests (scope ALL, an e-mail identity) until the
 *      request is completed: the shop database (sql), the session cache, the profile topic (kafka)
 *      and a third-party processor (http, confirming through the signed callback after
 *      `processorMs`) acknowledged, and the projector appended ErasureRequestCompleted;
 *   2. withdrawals: POST …/consents/withdraw of marketing until the opt-out step of every system
 *      that maps marketing (the cache, the processor) is on the log (OptOutStepCompleted).
 * Each latency runs from when the request was sent to when a consumer in this process sees the
 * closing fact on consent.log. Ceiling: an acks=all append seen by a plain consumer at the same
 * rate, one hop of the several an erasure takes (request → workers → acknowledgements → projector
 * → completion). consent-api, the projector and the erasure worker run as processes of their own.
 * Run through bench/run.sh (npm run bench:e2e -- [rate/s] [seconds] [processor ms]).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { endpointsFrom, topicSettingsFrom } from '@lethe/config';
import { consumerGroupsFor, ConsentEventCodec, subjectsFor } from '@lethe/contracts';
import { ACKS_ALL, createKafka, createSafeProducer, ensureTopics, GroupCommit } from '@lethe/kafka';
import { openDatabase } from '@lethe/persistence';
import { createShopSchema, FakeProcessor, shopConfig } from '@lethe/testing';
import { ApiKeyStore } from '../../apps/consent-api/src/auth/api-keys';
import { openLoop, OpenLoopResult } from '../api/open-loop';
import { figure, log, peakRss } from '../common';
import { startApp, stopChild, waitUntil } from '../processes';

const perSecond = Number(process.argv[2] ?? 500);
const seconds = Number(process.argv[3] ?? 60);
const processorMs = Number(process.argv[4] ?? 20);
const total = perSecond * seconds;
const endpoints = endpointsFrom(process.env);
const topics = topicSettingsFrom(process.env).names;
const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'bench-e2e' });
const schema = `bench_e2e_${Date.now()}`;
const apiPort = 3996;
const api = `http://127.0.0.1:${apiPort}`;
const SECRET = 'bench-e2e-processor-secret';
const SYSTEMS = { shop: 'shop-db', cache: 'session-cache', profiles: 'profile-topic', processor: 'marketing-processor' };
/** The systems whose onOptOut maps marketing: a withdrawal is done when each has acknowledged it. */
const MAPPED = [SYSTEMS.cache, SYSTEMS.processor];
const erasureSubject = (n: number) => `bench-erase-${n}`;
const withdrawalSubject = (n: number) => `bench-withdraw-${n}`;

interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Sent but neither closed nor failed by the end. */
  missing: number;
  failed: number;
}

function percentiles(sent: Map<string, number>, seen: Map<string, number>, failed = new Set<string>()): Percentiles {
  const latencies = [...sent].flatMap(([id, at]) => (seen.has(id) ? [(seen.get(id) as number) - at] : [])).sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const failures = [...sent.keys()].filter((id) => !seen.has(id) && failed.has(id)).length;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: latencies[latencies.length - 1] ?? NaN, missing: sent.size - latencies.length - failures, failed: failures };
}

const closed = (sent: Map<string, number>, seen: Map<string, number>, failed: Set<string>) => [...sent.keys()].filter((id) => seen.has(id) || failed.has(id)).length;

async function seed(pool: Pool, redis: Redis, profileTopic: string): Promise<string> {
  const shop = await createShopSchema(pool);
  await pool.query(`
    set search_path to "${shop}";
    insert into customers (external_id, email, name) select 'bench-erase-' || n, 'c' || n || '@example.com', 'Customer ' || n from generate_series(0, ${total - 1}) n;
    insert into addresses (customer_id, street, city) select id, 'Street 1', 'Berlin' from customers;
    insert into orders (customer_id, shipping_name, shipping_address, gift_note, amount, ordered_at, delivered_at)
      select id, name, 'Street 1, Berlin', null, 10, '2025-01-01', '2025-01-02' from customers;
    insert into payments (order_id, card_holder, card_expiry, amount, paid_at) select id, upper(shipping_name), '2027-01-31', amount, ordered_at from orders;
    create index on addresses (customer_id); create index on reviews (customer_id); create index on orders (customer_id);
    create index on payments (order_id); create index on invoices (customer_id);
    analyze;
    set search_path to default;`);
  for (let n = 0; n < total; n += 5_000) {
    const pipeline = redis.pipeline();
    for (let i = n; i < Math.min(total, n + 5_000); i++) pipeline.set(`bench:session:${erasureSubject(i)}`, 'token', 'EX', 3_600);
    await pipeline.exec();
  }
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, { names: topics, partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
  await admin.createTopics({ topics: [{ topic: profileTopic, numPartitions: 6, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
  await admin.disconnect();
  const producer = createSafeProducer(kafka);
  await producer.connect();
  for (let n = 0; n < total; n += 5_000) {
    const messages = Array.from({ length: Math.min(5_000, total - n) }, (_, i) => ({ key: erasureSubject(n + i), value: '{"tier":"gold"}' }));
    await producer.send({ topic: profileTopic, acks: ACKS_ALL, messages });
  }
  await producer.disconnect();
  return shop;
}

function systemsFile(dir: string, shop: string, profileTopic: string, processorUrl: string): string {
  const { system: _system, ...sql } = shopConfig(endpoints.databaseUrl, shop);
  const file = join(dir, 'systems.json');
  writeFileSync(
    file,
    JSON.stringify({
      retry: { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5_000 },
      systems: [
        { name: SYSTEMS.shop, type: 'sql', ...sql },
        { name: SYSTEMS.cache, type: 'cache', url: endpoints.redisUrl, keys: ['bench:session:{subjectId}'], onOptOut: { marketing: 'suppress' } },
        { name: SYSTEMS.profiles, type: 'kafka', topics: [{ topic: profileTopic, key: '{subjectId}' }] },
        { name: SYSTEMS.processor, type: 'http', url: processorUrl, secret: SECRET, callbackUrl: `${api}/v1/processors/${SYSTEMS.processor}/callbacks`, onOptOut: { marketing: 'suppress' } },
      ],
    }),
  );
  return file;
}

/** Whether the projector's group and every system's group have a member with partitions: the latency clock starts after start-up. */
async function consumersStable(): Promise<boolean> {
  const groups = consumerGroupsFor(topicSettingsFrom(process.env).prefix);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups: described } = await admin.describeGroups([groups.projector, ...Object.values(SYSTEMS).map(groups.erasureWorker)]);
    return described.every((group) => group.state === 'Stable' && group.members.length > 0);
  } finally {
    await admin.disconnect();
  }
}

/** Sees every closing fact on consent.log as it lands: completions by request id, opt-out steps by subject. */
async function watchLog() {
  const codec = ConsentEventCodec.forRegistry(endpoints.schemaRegistryUrl, subjectsFor(topics).consentLogValue);
  const completed = new Map<string, number>();
  /** When each system's acknowledgement of each erasure was seen, by system, then request id. */
  const acknowledged = new Map<string, Map<string, number>>();
  const optOutSteps = new Map<string, Set<string>>();
  const withdrawn = new Map<string, number>();
  /** Steps that failed for good (by request id, or subject for opt-outs): reported, never waited for. */
  const failed = new Set<string>();
  const consumer = kafka.consumer({ groupId: `bench-e2e-watch-${Date.now()}`, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.consentLog, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const message of batch.messages) {
        const event = await codec.decode(message.value);
        if (event.payload.type === 'ErasureRequestCompleted') completed.set(event.payload.request_id, now);
        if (event.payload.type === 'ErasureStepCompleted') {
          const bySystem = acknowledged.get(event.payload.system) ?? new Map<string, number>();
          bySystem.set(event.payload.request_id, now);
          acknowledged.set(event.payload.system, bySystem);
        }
        if (event.payload.type === 'ErasureStepFailed' && !event.payload.retryable) failed.add(event.payload.request_id);
        if (event.payload.type === 'OptOutStepFailed' && !event.payload.retryable) failed.add(event.subject_id);
        if (event.payload.type === 'OptOutStepCompleted') {
          const systems = optOutSteps.get(event.subject_id) ?? new Set<string>();
          systems.add(event.payload.system);
          optOutSteps.set(event.subject_id, systems);
          if (MAPPED.every((system) => systems.has(system))) withdrawn.set(event.subject_id, now);
        }
      }
    },
  });
  return { completed, acknowledged, withdrawn, failed, stop: () => consumer.disconnect() };
}

/**
 * The ceiling: acks=all appends at the same rate through group commit (as Lethe's writers send),
 * each timed from its send to a plain consumer's receipt.
 */
async function appendCeiling(): Promise<Percentiles> {
  const topic = `bench.e2e-ping-${process.pid}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6 }] });
  await admin.disconnect();
  const seen = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `bench-e2e-ping-${Date.now()}`, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => void batch.messages.forEach((m) => seen.set(String(m.key), Date.now())) });
  const producer = createSafeProducer(kafka);
  await producer.connect();
  const commit = GroupCommit.forProducer(producer, topic);
  const sent = new Map<string, number>();
  try {
    const pingSeconds = Math.min(seconds, 20);
    const started = Date.now();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < perSecond * pingSeconds; i++) {
      const due = started + (i * 1000) / perSecond;
      if (due > Date.now()) await new Promise((done) => setTimeout(done, due - Date.now()));
      sent.set(`ping-${i}`, Date.now());
      sends.push(commit.append([{ key: `ping-${i}`, value: 'x' }]));
    }
    await Promise.all(sends);
    await waitUntil(() => seen.size >= sent.size, 60_000, 'the ping consumer to see every record');
    return percentiles(sent, seen);
  } finally {
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
  }
}

async function main(): Promise<void> {
  log(`${perSecond}/s for ${seconds} s of erasures, then of withdrawals; processor confirms after ${processorMs} ms; broker ${endpoints.kafkaBrokers.join(',')}`);
  const dir = mkdtempSync(join(tmpdir(), 'lethe-bench-e2e-'));
  const pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  const redis = new Redis(endpoints.redisUrl);
  const processor = new FakeProcessor(SECRET, processorMs);
  const profileTopic = `bench.e2e-profiles-${process.pid}`;
  const children: ChildProcess[] = [];
  let shop = '';
  try {
    const ceiling = await appendCeiling();
    log(`ceiling, acks=all append → plain consumer at ${perSecond}/s: p50 ${ceiling.p50} ms, p99 ${ceiling.p99} ms, p99.9 ${ceiling.p999} ms`);
    shop = await seed(pool, redis, profileTopic);
    const file = systemsFile(dir, shop, profileTopic, await processor.start());
    const db = await openDatabase({ url: endpoints.databaseUrl, schema });
    const { key } = await new ApiKeyStore(db).create('bench', { actions: ['consent:write', 'erasure:write', 'read'], purposes: ['*'] });
    await db.destroy();
    const env = { LETHE_DB_SCHEMA: schema, LETHE_SYSTEMS_FILE: file, LETHE_API_PORT: String(apiPort), LETHE_API_RATE_LIMIT: '10000000', LETHE_LOG_LEVEL: 'warn' };
    const names = ['consent-api', 'projector', 'erasure-worker'];
    children.push(startApp(names[0], 'apps/consent-api/src/main.ts', env), startApp(names[1], 'apps/projector/src/main.ts', env), startApp(names[2], 'apps/erasure-worker/src/main.ts', env));
    await waitUntil(() => fetch(`${api}/health`).then((r) => r.ok, () => false), 120_000, 'consent-api /health');
    await waitUntil(consumersStable, 120_000, 'the projector and every system to join their consumer groups');
    const watch = await watchLog();
    const headers = { authorization: `Bearer ${key}` };

    const erasures = new Map<string, number>();
    const erasureHttp = await openLoop({
      url: api,
      headers,
      rate: perSecond,
      seconds,
      requestFor: (n) => {
        erasures.set(`bench-${n}`, Date.now());
        return {
          path: `/v1/subjects/${erasureSubject(n)}/erasure-requests`,
          body: JSON.stringify({ requestId: `bench-${n}`, scope: 'ALL', jurisdiction: 'GDPR', identities: [{ type: 'email', value: `c${n}@example.com` }] }),
        };
      },
    });
    log(`erasures: ${erasureHttp.perSecond} accepted/s (${erasureHttp.failed} not 2xx: ${answers(erasureHttp)}), HTTP p99 ${erasureHttp.p99} ms; waiting for the completions`);
    await waitUntil(() => closed(erasures, watch.completed, watch.failed) >= erasures.size - erasureHttp.failed, 180_000, 'every accepted erasure to complete').catch((error: Error) => log(error.message));
    const erased = percentiles(erasures, watch.completed, watch.failed);
    // Where an erasure's time goes: each system's acknowledgement, from the request sent.
    for (const [system, seen] of watch.acknowledged) {
      const p = percentiles(erasures, seen);
      log(`  ${system} acknowledged: p50 ${p.p50} ms, p99 ${p.p99} ms`);
    }

    const withdrawals = new Map<string, number>();
    const withdrawalHttp = await openLoop({
      url: api,
      headers,
      rate: perSecond,
      seconds,
      requestFor: (n) => {
        withdrawals.set(withdrawalSubject(n), Date.now());
        // With the address the processor needs to find the person (it matches by e-mail).
        const body = { purposes: ['marketing'], jurisdiction: 'GDPR', identities: [{ type: 'email', value: `w${n}@example.com` }] };
        return { path: `/v1/subjects/${withdrawalSubject(n)}/consents/withdraw`, body: JSON.stringify(body) };
      },
    });
    log(`withdrawals: ${withdrawalHttp.perSecond} accepted/s (${withdrawalHttp.failed} not 2xx: ${answers(withdrawalHttp)}), HTTP p99 ${withdrawalHttp.p99} ms; waiting for the opt-out steps`);
    await waitUntil(() => closed(withdrawals, watch.withdrawn, watch.failed) >= withdrawals.size - withdrawalHttp.failed, 180_000, 'every withdrawal to reach its systems').catch((error: Error) => log(error.message));
    const withdrawn = percentiles(withdrawals, watch.withdrawn, watch.failed);
    for (const [i, child] of children.entries()) if (child.pid) peakRss(names[i], child.pid);
    await watch.stop();

    const row = (name: string, r: Percentiles) => console.log(`| ${name} | ${perSecond}/s × ${seconds} s | ${r.p50} | ${r.p99} | ${r.p999} | ${r.max} | ${r.failed} | ${r.missing} |`);
    console.log('');
    console.log('| path | rate | p50 ms | p99 ms | p99.9 ms | max ms | failed | not closed |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    row('ceiling: acks=all append → plain consumer', ceiling);
    row('erasure: request sent → four systems acknowledged, request completed', erased);
    row(`withdrawal: request sent → opt-out step of ${MAPPED.join(' and ')} on the log`, withdrawn);
    for (const [name, r] of [[`erasure completed, p99 at ${perSecond}/s`, erased] as const, [`withdrawal acted on by every mapped system, p99 at ${perSecond}/s`, withdrawn] as const]) {
      figure({ name: `end to end: ${name}`, value: r.p99, unit: 'ms', ceilingName: 'acks=all append → plain consumer p99', ceilingValue: ceiling.p99, ratio: ceiling.p99 / r.p99 });
    }
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
    await processor.stop();
    await pool.query(`drop schema if exists "${schema}" cascade${shop ? `; drop schema if exists "${shop}" cascade` : ''}`);
    await Promise.all([pool.end(), redis.quit()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main()
  .then(() => process.exit(0))
  .catch((error: Error) => {
    console.error(`[bench] failed: ${error.message}`);
    process.exit(1);
  });

/** The answers an open-loop run got, by status, and the requests that got none. */
function answers(run: OpenLoopResult): string {
  const statuses = Object.entries(run.statuses).map(([status, count]) => `${count} × ${status}`);
  return [...statuses, `${run.timeouts} timed out`, `${run.errors} connection errors`].join(', ');
}
