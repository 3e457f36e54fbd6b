/**
 * The consent guard, each figure next to its ceiling measured in the same run:
 *   1. time to ready from N consent.state records   vs kafka-consumer-perf-test reading them;
 *   2. memory per subject held                      vs a bare Map of the same subject ids;
 *   3. allowed() per call                           vs a bare Map.get of the same ids;
 *   4. propagation, a withdrawal on the log → a guard in another process knows it, open loop:
 *      appended straight to consent.log at [rate/s], and through the API at [API rate/s] (one it
 *      sustains), each from its acknowledgement     vs a record appended (acks=all) → a plain
 *      kafkajs consumer in another process receiving it, at [rate/s].
 * Run through bench/run.sh (npm run bench:guard -- [subjects] [rate/s] [seconds] [API rate/s]).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { endpointsFrom, topicSettingsFrom } from '@lethe/config';
import { ConsentEvent, ConsentEventCodec, ConsentStateCodec, subjectsFor } from '@lethe/contracts';
import { ConsentGuard } from '@lethe/guard';
import { ACKS_ALL, createKafka, createSafeProducer, ensureTopics } from '@lethe/kafka';
import { consumerPerfTest, figure, log, peakRss, rate } from '../common';
import { startApp, stopChild, waitUntil } from '../processes';
import { subjectId, writeStates } from './states';

const total = Number(process.argv[2] ?? 1_000_000);
const perSecond = Number(process.argv[3] ?? 500);
const seconds = Number(process.argv[4] ?? 30);
/** Withdrawals per second through the API: one it sustains (its throughput is measured elsewhere). */
const apiRate = Number(process.argv[5] ?? 100);
const root = resolve(__dirname, '../..');
const endpoints = endpointsFrom(process.env);
const topics = topicSettingsFrom(process.env).names;
const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'bench-guard' });
const schema = `bench_guard_${Date.now()}`;
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** Mean ns per call of `call` over batches of 1,000 random subjects: median and p99 of the batches. */
function perCall(call: (subject: string, purpose: string) => unknown): { median: number; p99: number } {
  const ids = Array.from({ length: 1_000 }, (_, i) => subjectId((i * 7_919) % total));
  const purposes = ['marketing', 'analytics', 'SALE', 'profiling'];
  const batches: number[] = [];
  let sink = 0;
  for (let round = 0; round < 2_000; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < ids.length; i++) if (call(ids[(i + round) % ids.length], purposes[i & 3])) sink++;
    batches.push(Number(process.hrtime.bigint() - started) / ids.length);
  }
  if (sink < 0) log('unreachable');
  batches.sort((a, b) => a - b);
  return { median: quantile(batches, 0.5), p99: quantile(batches, 0.99) };
}

async function readyMemoryAndLookups() {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, { names: topics, partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
  await admin.disconnect();
  const producer = createSafeProducer(kafka);
  await producer.connect();
  const codec = ConsentStateCodec.forRegistry(endpoints.schemaRegistryUrl, subjectsFor(topics).consentStateValue);
  const bytes = await writeStates(producer, codec, topics.consentState, total);
  await producer.disconnect();
  const perf = consumerPerfTest(endpoints, topics.consentState, total);

  const before = heapUsed();
  const guard = ConsentGuard.create({ kafka, schemaRegistryUrl: endpoints.schemaRegistryUrl, topicPrefix: topicSettingsFrom(process.env).prefix, service: 'bench', metrics: false });
  const started = Date.now();
  await guard.start();
  await guard.ready(600_000);
  const readyMs = Date.now() - started;
  const guardBytes = (heapUsed() - before) / total;
  log(`guard: ready on ${total} states in ${(readyMs / 1000).toFixed(1)} s (${rate(total, readyMs)} states/s), ${guardBytes.toFixed(0)} bytes per subject`);
  const lookups = perCall((subject, purpose) => guard.allowed(subject, purpose).allowed);
  await guard.stop();

  const bareBefore = heapUsed();
  const bare = new Map<string, { v: number }>();
  for (let n = 0; n < total; n++) bare.set(subjectId(n), { v: n });
  const bareBytes = (heapUsed() - bareBefore) / total;
  const bareLookups = perCall((subject) => bare.get(subject)?.v);
  log(`bare Map: ${bareBytes.toFixed(0)} bytes per subject; get ${bareLookups.median.toFixed(0)} ns median`);
  bare.clear();
  return { bytes, perf, readyMs, guardBytes, bareBytes, lookups, bareLookups };
}

/** A probe process (probe.ts) and the times at which it saw each subject. */
function startProbe(args: string[]): { child: ChildProcess; seen: Map<string, number>; ready: Promise<void> } {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, 'probe.ts'), ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const seen = new Map<string, number>();
  const ready = new Promise<void>((done, fail) => {
    child.on('message', (message: { ready?: boolean; subject?: string; at?: number }) => {
      if (message.ready) done();
      if (message.subject && message.at && !seen.has(message.subject)) seen.set(message.subject, message.at);
    });
    child.once('exit', (code) => fail(new Error(`probe ${args.join(' ')} exited with ${code}`)));
  });
  return { child, seen, ready };
}

/** Fires `send(i)` at `perSecond` for `seconds`, on schedule whatever the answers (open loop). */
async function openLoop(perSecond: number, send: (i: number) => Promise<void>): Promise<void> {
  const count = perSecond * seconds;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((done) => setTimeout(done, wait));
    pending.push(send(i));
  }
  await Promise.all(pending);
}

function distribution(durations: number[]) {
  const values = [...durations].sort((a, b) => a - b);
  return { count: values.length, p50: quantile(values, 0.5), p99: quantile(values, 0.99), max: values[values.length - 1] };
}

/** From each subject's start time (`sent`) to when it was `seen`, for the subjects seen. */
function latencies(sent: Map<string, number>, seen: Map<string, number>) {
  return distribution([...sent].flatMap(([subject, at]) => (seen.has(subject) ? [(seen.get(subject) as number) - at] : [])));
}

async function propagation() {
  // A schema of its own: the development projection belongs to another log.
  const env = { LETHE_DB_SCHEMA: schema, LETHE_API_PORT: '13000', LETHE_API_RATE_LIMIT: '10000000', LETHE_LOG_LEVEL: 'warn' };
  const keyRun = spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/consent-api/src/api-keys.cli.ts', 'create', 'bench'], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  if (keyRun.status !== 0) throw new Error(`api-key create failed: ${keyRun.stderr}`);
  const key = keyRun.stdout.trim();
  const apps = [startApp('projector', 'apps/projector/src/main.ts', env), startApp('consent-api', 'apps/consent-api/src/main.ts', env)];
  const probe = startProbe(['guard', 'bench-propagation']);
  try {
    await probe.ready;
    const api = 'http://127.0.0.1:13000';
    const deadline = Date.now() + 120_000;
    while (!(await fetch(`${api}/health`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline) throw new Error('consent-api did not answer /health');
      await new Promise((done) => setTimeout(done, 250));
    }
    // Latency runs from the acknowledgement (a 202, or the broker's ack of an append), when the
    // withdrawal is on the log, to the guard knowing. The API's own answer time is reported beside.
    const direct = await appendedWithdrawals(probe.seen);
    const viaApi = await apiWithdrawals(api, key, probe.seen);
    return { direct, viaApi };
  } finally {
    await Promise.all([probe.child, ...apps].map((child) => stopChild(child)));
  }
}

/** Withdrawals appended straight to consent.log at `perSecond`, each awaited as a producer would. */
async function appendedWithdrawals(seen: Map<string, number>) {
  const codec = ConsentEventCodec.forRegistry(endpoints.schemaRegistryUrl, subjectsFor(topics).consentLogValue);
  const producer = createSafeProducer(kafka);
  await producer.connect();
  const acked = new Map<string, number>();
  const started = Date.now();
  try {
    await openLoop(perSecond, async (i) => {
      const subject = `direct-${process.pid}-${i}`;
      const now = Date.now();
      const event: ConsentEvent = {
        event_id: randomUUID(), subject_id: subject, occurred_at: now, recorded_at: now, source: 'API', actor: 'bench', jurisdiction: 'GDPR',
        policy_version: null, purposes: ['marketing'], correlation_id: null, causation_id: null, identities: null, payload: { type: 'ConsentWithdrawn' },
      };
      await producer.send({ topic: topics.consentLog, acks: ACKS_ALL, messages: [{ key: subject, value: await codec.encode(event) }] });
      acked.set(subject, Date.now());
    });
  } finally {
    await producer.disconnect();
  }
  const achieved = rate(acked.size, Date.now() - started);
  await waitUntil(() => [...acked.keys()].every((s) => seen.has(s)), 120_000, 'the guard to see every appended withdrawal');
  return { achieved, ...latencies(acked, seen) };
}

/** Withdrawals through the API at `apiRate`, from each 202. */
async function apiWithdrawals(api: string, key: string, seen: Map<string, number>) {
  const sent = new Map<string, number>();
  const accepted = new Map<string, number>();
  const started = Date.now();
  await openLoop(apiRate, async (i) => {
    const subject = `api-${process.pid}-${i}`;
    sent.set(subject, Date.now());
    const response = await fetch(`${api}/v1/subjects/${subject}/consents/withdraw`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ purposes: ['marketing'], jurisdiction: 'GDPR' }),
    }).catch(() => undefined);
    if (response?.status === 202) accepted.set(subject, Date.now());
    await response?.arrayBuffer();
  });
  const achieved = rate(accepted.size, Date.now() - started);
  await waitUntil(() => [...accepted.keys()].every((s) => seen.has(s)), 120_000, 'the guard to see every accepted withdrawal');
  const api202 = latencies(sent, accepted);
  return { achieved, api202, ...latencies(accepted, seen) };
}

async function pingCeiling() {
  const topic = `bench.ping-${process.pid}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6 }] });
  await admin.disconnect();
  const probe = startProbe(['ping', topic]);
  const producer = createSafeProducer(kafka);
  await producer.connect();
  try {
    await probe.ready;
    await new Promise((done) => setTimeout(done, 3_000)); // the consumer's first fetch positions
    const sent = new Map<string, number>();
    await openLoop(perSecond, async (i) => {
      const key = `ping-${i}`;
      await producer.send({ topic, acks: ACKS_ALL, messages: [{ key, value: 'x' }] });
      sent.set(key, Date.now()); // acknowledged, as a 202 is
    });
    await waitUntil(() => [...sent.keys()].every((s) => probe.seen.has(s)), 60_000, 'the ping consumer to see every record');
    return latencies(sent, probe.seen);
  } finally {
    await producer.disconnect();
    await stopChild(probe.child);
  }
}

async function dropSchema(): Promise<void> {
  const { openDatabase } = await import('@lethe/persistence');
  const db = await openDatabase({ url: endpoints.databaseUrl });
  await db.query(`drop schema if exists "${schema}" cascade`);
  await db.destroy();
}

async function main(): Promise<void> {
  log(`${total} subjects; propagation at ${perSecond}/s for ${seconds} s; broker ${endpoints.kafkaBrokers.join(',')}`);
  const r = await readyMemoryAndLookups();
  const ping = await pingCeiling();
  log(`ping ceiling: p50 ${ms(ping.p50)}, p99 ${ms(ping.p99)}`);
  const { direct, viaApi } = await propagation().finally(dropSchema);
  log(`propagation, appended at ${direct.achieved}/s: ack → guard p50 ${ms(direct.p50)}, p99 ${ms(direct.p99)}, max ${ms(direct.max)}`);
  log(`propagation, through the API at ${viaApi.achieved}/s (202 in p50 ${ms(viaApi.api202.p50)}, p99 ${ms(viaApi.api202.p99)}): 202 → guard p50 ${ms(viaApi.p50)}, p99 ${ms(viaApi.p99)}, max ${ms(viaApi.max)}`);
  const perfMs = (total / r.perf) * 1000;
  figure({ name: `guard: time to ready, ${total} states`, value: Math.round(r.readyMs), unit: 'ms', ceilingName: 'kafka-consumer-perf-test reading them', ceilingValue: Math.round(perfMs), ratio: perfMs / r.readyMs });
  figure({ name: 'guard: heap per subject', value: Math.round(r.guardBytes), unit: 'B', ceilingName: 'bare Map of the ids', ceilingValue: Math.round(r.bareBytes), ratio: r.bareBytes / r.guardBytes });
  figure({ name: 'guard: allowed() median', value: Math.round(r.lookups.median), unit: 'ns', ceilingName: 'Map.get median', ceilingValue: Math.round(r.bareLookups.median), ratio: r.bareLookups.median / r.lookups.median });
  figure({ name: `guard: propagation p99, appended at ${direct.achieved}/s`, value: Number(direct.p99.toFixed(1)), unit: 'ms', ceilingName: 'plain consumer p99', ceilingValue: Number(ping.p99.toFixed(1)), ratio: ping.p99 / direct.p99 });
  figure({ name: `guard: propagation p99, API 202 at ${viaApi.achieved}/s`, value: Number(viaApi.p99.toFixed(1)), unit: 'ms', ceilingName: 'plain consumer p99', ceilingValue: Number(ping.p99.toFixed(1)), ratio: ping.p99 / viaApi.p99 });
  peakRss('bench process running the guard');
  console.log('');
  console.log('| measure | guard | ceiling | ratio |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| time to ready, ${total} states (${r.bytes} B each) | ${(r.readyMs / 1000).toFixed(1)} s | ${(perfMs / 1000).toFixed(1)} s (kafka-consumer-perf-test, ${r.perf} msg/s) | ${(perfMs / r.readyMs).toFixed(2)} |`);
  console.log(`| memory per subject | ${r.guardBytes.toFixed(0)} B | ${r.bareBytes.toFixed(0)} B (bare Map of the ids) | ${(r.bareBytes / r.guardBytes).toFixed(2)} |`);
  console.log(`| allowed() median / p99 of 1,000-call batches | ${r.lookups.median.toFixed(0)} / ${r.lookups.p99.toFixed(0)} ns | ${r.bareLookups.median.toFixed(0)} / ${r.bareLookups.p99.toFixed(0)} ns (Map.get) | ${(r.bareLookups.median / r.lookups.median).toFixed(2)} |`);
  const ceiling = `${ms(ping.p50)} / ${ms(ping.p99)} (acks=all append acknowledged → plain consumer, ${perSecond}/s)`;
  console.log(`| propagation, withdrawal appended to consent.log (acks=all) → guard in another process, p50 / p99, ${direct.achieved}/s | ${ms(direct.p50)} / ${ms(direct.p99)} | ${ceiling} | ${(ping.p99 / direct.p99).toFixed(2)} |`);
  console.log(`| propagation, API 202 → guard in another process, p50 / p99, ${viaApi.achieved}/s | ${ms(viaApi.p50)} / ${ms(viaApi.p99)} | ${ceiling} | ${(ping.p99 / viaApi.p99).toFixed(2)} |`);
  process.exit(0);
}

main().catch((error: Error) => {
  console.error(`[bench] failed: ${error.message}`);
  process.exit(1);
});
