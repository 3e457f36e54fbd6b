/**
 * Accepted writes through the consent API, next to their ceiling in the same run:
 *   1. a bare Fastify route answering the same payload (bare-route.ts), 50 connections, closed loop;
 *   2. POST /v1/subjects/:id/consents/withdraw on the real consent-api (acks=all, idempotent
 *      producer), a new subject each request, 50 connections, closed loop;
 *   3. POST /v1/subjects/:id/erasure-requests the same way (a request id, an e-mail identity and
 *      an Idempotency-Key each: the request id and the key are claimed and the subject's data key
 *      created in PostgreSQL, the identity encrypted), against the bare route's erasure path;
 *   4. withdrawals at a fixed rate, open loop (open-loop.ts: requests sent evenly, latency from when
 *      each was due), for p50/p99 at that rate; and autocannon's overallRate for comparison
 *      (which sends each second's share at once on 50 connections, so it measures bursts).
 * consent-api runs with --cpu-prof, once for the withdrawals and once for the erasures; the top
 * self-time functions of each are printed at the end.
 * Run through bench/run.sh (npm run bench:api -- [seconds] [rate/s] [connections]).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { endpointsFrom } from '@lethe/config';
import { openDatabase } from '@lethe/persistence';
import { ApiKeyStore } from '../../apps/consent-api/src/auth/api-keys';
import { figure, log, peakRss, producerPerfTest } from '../common';
import { stopChild } from '../processes';
import { closedLoop, LoadResult, newSubjectErasure, newSubjectWithdrawal, scrapeApiMetrics, withdrawals } from './load';
import { openLoop } from './open-loop';
import { selfTimeByPackage, topSelfTime } from './profile-top';

const seconds = Number(process.argv[2] ?? 20);
const openLoopRate = Number(process.argv[3] ?? 1_000);
const connections = Number(process.argv[4] ?? 50);
const root = resolve(__dirname, '../..');
const profileDir = resolve(root, '.cache/bench-api-profile');
const endpoints = endpointsFrom(process.env);
const schema = `bench_api_${Date.now()}`;

function start(name: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.once('exit', (code, signal) => !child.killed && log(`${name} exited (${code ?? signal})`));
  return child;
}

async function healthy(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fetch(`${url}/health`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline) throw new Error(`${url} did not answer /health within ${timeoutMs} ms`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

async function bareRoute(): Promise<{ closed: LoadResult; open: LoadResult; erasures: LoadResult }> {
  const child = start('bare route', ['-r', '@swc-node/register', resolve(__dirname, 'bare-route.ts'), '3999']);
  try {
    await healthy('http://127.0.0.1:3999');
    await withdrawals({ url: 'http://127.0.0.1:3999', connections, seconds: 3 }); // warm-up
    const closed = await withdrawals({ url: 'http://127.0.0.1:3999', connections, seconds });
    const open = await openLoop({ url: 'http://127.0.0.1:3999', headers: {}, rate: openLoopRate, seconds, requestFor: newSubjectWithdrawal });
    const erasures = await closedLoop({ url: 'http://127.0.0.1:3999', connections, seconds }, newSubjectErasure);
    return { closed, open, erasures };
  } finally {
    await stopChild(child, 'SIGTERM');
  }
}

/**
 * Starts consent-api (fresh schema, --cpu-prof into a directory of the run's own), runs `load`
 * against it with a key that may write consents and erasures, and stops it.
 */
async function withConsentApi<T>(run: string, load: (options: { url: string; headers: Record<string, string>; connections: number }) => Promise<T>): Promise<T> {
  const dir = resolve(profileDir, run);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const runSchema = `${schema}_${run}`;
  const db = await openDatabase({ url: endpoints.databaseUrl, schema: runSchema });
  // Erasures fan out to the systems of the systems file (none: refused); only their names matter here.
  const systemsFile = resolve(profileDir, 'systems.json');
  writeFileSync(systemsFile, JSON.stringify({ systems: [{ name: 'sessions', type: 'cache', url: endpoints.redisUrl, keys: ['bench:session:{subjectId}'] }] }));
  const env = { LETHE_DB_SCHEMA: runSchema, LETHE_SYSTEMS_FILE: systemsFile, LETHE_API_PORT: '3998', LETHE_API_RATE_LIMIT: '10000000', LETHE_LOG_LEVEL: 'warn' };
  const child = start('consent-api', [`--cpu-prof`, `--cpu-prof-dir=${dir}`, '-r', '@swc-node/register', 'apps/consent-api/src/main.ts'], env);
  try {
    await healthy('http://127.0.0.1:3998');
    const { key } = await new ApiKeyStore(db).create('bench', { actions: ['consent:write', 'erasure:write'], purposes: ['*'] });
    const result = await load({ url: 'http://127.0.0.1:3998', headers: { authorization: `Bearer ${key}` }, connections });
    if (child.pid) peakRss(`consent-api (${run})`, child.pid);
    return result;
  } finally {
    await stopChild(child, 'SIGINT');
    await db.query(`drop schema if exists "${runSchema}" cascade`);
    await db.destroy();
  }
}

function consentApiWithdrawals(): Promise<{ closed: LoadResult; open: LoadResult; bursts: LoadResult }> {
  return withConsentApi('withdrawals', async (options) => {
    await withdrawals({ ...options, seconds: 3 }); // warm-up
    const closed = await withdrawals({ ...options, seconds });
    const before = await brokerWrites();
    const open = await openLoop({ ...options, rate: openLoopRate, seconds, requestFor: newSubjectWithdrawal });
    const after = await brokerWrites();
    log(`open loop: mean wait for the broker's acknowledgement ${(((after.sum - before.sum) / (after.count - before.count)) * 1000).toFixed(1)} ms of each write`);
    const bursts = await withdrawals({ ...options, seconds, overallRate: openLoopRate });
    return { closed, open, bursts };
  });
}

function consentApiErasures(): Promise<LoadResult> {
  return withConsentApi('erasures', async (options) => {
    await closedLoop({ ...options, seconds: 3 }, newSubjectErasure); // warm-up
    const erasures = await closedLoop({ ...options, seconds }, newSubjectErasure);
    if (erasures.accepted === 0) throw new Error(`consent-api accepted none of ${erasures.requests} erasure requests`);
    return erasures;
  });
}

/** consent-api's own histogram of the time from encoding a write to its acknowledgement (all writes so far). */
async function brokerWrites(): Promise<{ sum: number; count: number }> {
  const { sum } = await scrapeApiMetrics('http://127.0.0.1:3998');
  return { sum: sum('lethe_api_broker_write_seconds_sum'), count: sum('lethe_api_broker_write_seconds_count') };
}

async function main(): Promise<void> {
  log(`${seconds} s per run, ${connections} connections, open loop at ${openLoopRate}/s, broker ${endpoints.kafkaBrokers.join(',')}`);
  const producerPerf = producerPerfTest(endpoints, 200_000, 300);
  const { closed: bare, open: bareOpen, erasures: bareErasures } = await bareRoute();
  log(`bare route: ${bare.perSecond}/s, p50 ${bare.p50} ms, p99 ${bare.p99} ms; open loop at ${openLoopRate}/s: p99 ${bareOpen.p99} ms`);
  const api = { ...(await consentApiWithdrawals()), erasures: await consentApiErasures() };
  figure({ name: `consent-api: accepted writes, ${connections} connections`, value: api.closed.perSecond, unit: 'writes/s', ceilingName: 'bare Fastify route', ceilingValue: bare.perSecond });
  figure({ name: `consent-api: accepted writes, ${connections} connections`, value: api.closed.perSecond, unit: 'writes/s', ceilingName: 'kafka-producer-perf-test (acks=all, idempotent)', ceilingValue: producerPerf });
  figure({ name: `consent-api: accepted erasure requests, ${connections} connections`, value: api.erasures.perSecond, unit: 'writes/s', ceilingName: 'bare Fastify route (erasure path)', ceilingValue: bareErasures.perSecond });
  figure({ name: `consent-api: p99 at ${openLoopRate} writes/s open loop`, value: api.open.p99, unit: 'ms', ceilingName: `bare Fastify route p99 at ${openLoopRate}/s`, ceilingValue: bareOpen.p99, ratio: bareOpen.p99 / api.open.p99 });
  console.log('');
  console.log(`| run | client | asked rate | 2xx/s | not 2xx | p50 ms | p99 ms | ratio to bare route |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
  const row = (name: string, r: LoadResult, clients: string, asked: string, ceiling = bare) =>
    console.log(`| ${name} | ${clients} | ${asked} | ${r.perSecond} | ${r.failed} | ${r.p50} | ${r.p99} | ${(r.perSecond / ceiling.perSecond).toFixed(3)} |`);
  row('bare Fastify route', bare, `autocannon, ${connections} connections`, 'as fast as answered');
  row('bare Fastify route', bareOpen, 'open loop, evenly spaced', `${openLoopRate}/s`);
  row('consent-api withdraw', api.closed, `autocannon, ${connections} connections`, 'as fast as answered');
  row('consent-api withdraw', api.open, 'open loop, evenly spaced', `${openLoopRate}/s`);
  row('consent-api withdraw', api.bursts, `autocannon overallRate, ${connections} connections`, `${openLoopRate}/s`);
  row('bare Fastify route, erasure path', bareErasures, `autocannon, ${connections} connections`, 'as fast as answered', bareErasures);
  row('consent-api erasure request', api.erasures, `autocannon, ${connections} connections`, 'as fast as answered', bareErasures);
  console.log('');
  for (const run of ['withdrawals', 'erasures']) {
    console.log(`consent-api CPU profile (${run}), top self time:`);
    for (const [share, name] of topSelfTime(resolve(profileDir, run))) console.log(`  ${(share * 100).toFixed(1).padStart(5)} %  ${name}`);
    console.log('by package:');
    for (const [share, name] of selfTimeByPackage(resolve(profileDir, run))) console.log(`  ${(share * 100).toFixed(1).padStart(5)} %  ${name}`);
  }
}

main().catch((error: Error) => {
  console.error(`[bench] failed: ${error.message}`);
  process.exit(1);
});
