/**
 * The consent API under twice the rate it manages, open loop, for a minute: does it shed load
 * (503 with Retry-After) and keep its memory, rather than queue until answers time out?
 *   0. kafka-producer-perf-test (acks=all), which warms the new broker up;
 *   1. capacity: POST …/consents/withdraw, a new subject each, 50 connections, closed loop;
 *   2. the same open loop at `factor` × that rate for `seconds` (requests sent evenly, up to
 *      `connections`, 4,096 by default so the API, not the client, decides what waits; latency from when
 *      each request was due), the API's RSS sampled every second, and what the API itself saw
 *      (its lethe_api_requests_received_total and lethe_api_request_seconds);
 *   3. one write afterwards, which must be accepted;
 *   4. the ceiling: the same open loop against a bare Fastify route (bare-route.ts), which shows
 *      what this client on this machine manages at that rate with no Lethe code at all.
 * Run through bench/run.sh: npm run bench:overload -- [seconds] [factor] [capacity seconds] [client connections, 4096]
 * (LETHE_API_MAX_PENDING_APPENDS and LETHE_API_MAX_LOOP_DELAY_MS are passed on to the API when set;
 * the capacity is measured on a process of its own with neither bound, so nothing is shed there).
 */
import { readFileSync } from 'node:fs';
import { endpointsFrom } from '@lethe/config';
import { openDatabase } from '@lethe/persistence';
import { ApiKeyStore } from '../../apps/consent-api/src/auth/api-keys';
import { figure, log, peakRss, producerPerfTest } from '../common';
import { startApp, stopChild, waitUntil } from '../processes';
import { newSubjectWithdrawal, scrapeApiMetrics, withdrawals } from './load';
import { openLoop, OpenLoopResult } from './open-loop';

const seconds = Number(process.argv[2] ?? 60);
const factor = Number(process.argv[3] ?? 2);
const capacitySeconds = Number(process.argv[4] ?? 15);
/** The open-loop client's connections at most: 4,096 lets the API decide what waits; a service's own pool is far smaller. */
const connections = Number(process.argv[5] ?? 4_096);
const port = 3997;
const url = `http://127.0.0.1:${port}`;
const endpoints = endpointsFrom(process.env);
const schema = `bench_overload_${Date.now()}`;

function rssMib(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m)?.[1] ?? NaN) / 1024;
}

/** The kernel's count of connections dropped because a listen queue was full (Linux, /proc/net/netstat TcpExt ListenOverflows): of every listener on the host, so other work running meanwhile adds to it. */
function listenOverflows(): number {
  const [names, values] = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((line) => line.startsWith('TcpExt:'));
  return Number(values.split(' ')[names.split(' ').indexOf('ListenOverflows')]);
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

async function main(): Promise<void> {
  // Also warms the fresh broker's JVM: without it the first seconds' acknowledgements take most of a second.
  producerPerfTest(endpoints, 200_000, 300);
  const db = await openDatabase({ url: endpoints.databaseUrl, schema });
  const base: Record<string, string> = { LETHE_DB_SCHEMA: schema, LETHE_API_PORT: String(port), LETHE_API_RATE_LIMIT: '10000000', LETHE_LOG_LEVEL: 'warn' };
  const bounds: Record<string, string> = {};
  for (const name of ['LETHE_API_MAX_PENDING_APPENDS', 'LETHE_API_MAX_LOOP_DELAY_MS']) if (process.env[name]) bounds[name] = process.env[name] as string;
  const headers = { authorization: `Bearer ${(await new ApiKeyStore(db).create('bench-overload', { actions: ['consent:write'], purposes: ['*'] })).key}` };
  log(`load average ${loadAverage()} at the start; bounds ${JSON.stringify(bounds)} (none named: the defaults)`);
  // Capacity with nothing shed (on a machine short of CPU the loop-delay bound would shed even at 50 connections), then the overload on a fresh process with the bounds.
  const capacityApi = startApp('consent-api (capacity)', 'apps/consent-api/src/main.ts', { ...base, LETHE_API_MAX_LOOP_DELAY_MS: '60000', LETHE_API_MAX_PENDING_APPENDS: '100000' });
  let capacity;
  try {
    await waitUntil(() => fetch(`${url}/health`).then((r) => r.ok, () => false), 120_000, 'consent-api /health');
    await withdrawals({ url, headers, connections: 50, seconds: 5 }); // warm-up
    capacity = await withdrawals({ url, headers, connections: 50, seconds: capacitySeconds });
  } finally {
    await stopChild(capacityApi, 'SIGINT');
  }
  const rate = capacity.perSecond * factor;
  log(`capacity, closed loop, 50 connections, nothing shed: ${capacity.perSecond} writes/s (p50 ${capacity.p50} ms, p99 ${capacity.p99} ms, ${capacity.failed} not 2xx)`);
  const api = startApp('consent-api', 'apps/consent-api/src/main.ts', { ...base, ...bounds });
  try {
    await waitUntil(() => fetch(`${url}/health`).then((r) => r.ok, () => false), 120_000, 'consent-api /health');
    await withdrawals({ url, headers, connections: 10, seconds: 3 }); // warm-up of the new process
    const pid = api.pid as number;
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMib(pid)), 1_000);
    const before = rssMib(pid);
    log(`open loop at ${rate}/s (${factor} × capacity) for ${seconds} s, up to ${connections} connections; API RSS ${before.toFixed(0)} MiB before`);
    const heldBefore = await heldByTheApi();
    const overflowsBefore = listenOverflows();
    const result = await openLoop({ url, headers, rate, seconds, requestFor: newSubjectWithdrawal, maxSockets: connections, timeoutMs: 15_000 });
    clearInterval(sampler);
    const overflows = listenOverflows() - overflowsBefore;
    const heldAfter = await heldByTheApi();
    // Less the scrape that read `heldAfter` (it reached the API; the first one's answer is counted in it too).
    const held = Object.fromEntries(Object.entries(heldAfter).map(([name, n]) => [name, n - heldBefore[name as keyof typeof heldAfter]])) as typeof heldAfter;
    held.received -= 1;
    held.answered -= 1;
    const after = await fetch(`${url}/v1/subjects/${newSubjectWithdrawal().path.split('/')[3]}/consents/withdraw`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ purposes: ['marketing'] }),
    });

    const count = (prefix: string) => Object.entries(result.statuses).filter(([status]) => status.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0);
    const [first, last] = [mean(samples.slice(0, 10)), mean(samples.slice(-10))];
    const peak = Math.max(...samples);
    console.log('');
    console.log(`| asked | sent | 2xx | 429 | 503 | other | timeouts | errors | 2xx/s | 2xx p50 ms | 2xx p99 ms | RSS first 10 s | RSS last 10 s | RSS peak | after: |`);
    console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
    const other = result.requests - count('2') - (result.statuses['429'] ?? 0) - (result.statuses['503'] ?? 0) - result.timeouts - result.errors;
    console.log(
      `| ${rate}/s × ${seconds} s | ${result.requests} | ${count('2')} | ${result.statuses['429'] ?? 0} | ${result.statuses['503'] ?? 0} | ${other} | ${result.timeouts} | ${result.errors} | ` +
        `${result.perSecond} | ${result.p50} | ${result.p99} | ${first.toFixed(0)} MiB | ${last.toFixed(0)} MiB | ${peak.toFixed(0)} MiB | ${after.status} |`,
    );
    console.log('');
    log(`statuses ${JSON.stringify(result.statuses)}; unanswered ${JSON.stringify(result.unanswered)}; load average ${loadAverage()} at the end`);
    log(`the client opened ${result.connectionsOpened} connections; the kernel counted ${overflows} listen-queue overflows (ListenOverflows) meanwhile`);
    log(
      `seen by the API during the open loop: ${held.received} requests reached it (headers parsed), ${held.answered} answered, ${held.abandoned} abandoned by their client first; ` +
        `${held.over10s} answered or abandoned after more than 10 s, ${held.over15s} after more than 15 s (the client's timeout)`,
    );
    figure({ name: `consent-api: accepted writes at ${factor} × capacity, open loop`, value: result.perSecond, unit: 'writes/s', ceilingName: 'its closed-loop capacity in the same run', ceilingValue: capacity.perSecond });
    peakRss('consent-api (overload)', pid);
  } finally {
    await stopChild(api, 'SIGINT');
    await db.query(`drop schema if exists "${schema}" cascade`);
    await db.destroy();
  }
  const ceiling = await bareRouteUnder(rate);
  console.log(`| bare Fastify route (ceiling), ${rate}/s × ${seconds} s | ${ceiling.requests} | ${count2xx(ceiling)} | | | | ${ceiling.timeouts} | ${ceiling.errors} | ${ceiling.perSecond} | ${ceiling.p50} | ${ceiling.p99} | | | | |`);
  log(`ceiling: a bare Fastify route under the same open loop answered ${ceiling.perSecond} 2xx/s, ${ceiling.timeouts} timeouts, ${ceiling.errors} connection errors (${JSON.stringify(ceiling.unanswered)}), p99 ${ceiling.p99} ms; load average ${loadAverage()}`);
}

/** From the API's own metrics: requests that reached it, those it answered, and how many of those it held past 10 s and past 15 s. */
async function heldByTheApi(): Promise<{ received: number; answered: number; abandoned: number; over10s: number; over15s: number }> {
  const { sum } = await scrapeApiMetrics(url);
  const settled = sum('lethe_api_request_seconds_count');
  const abandoned = sum('lethe_api_request_seconds_count', 'status="aborted"');
  const within = (le: string) => sum('lethe_api_request_seconds_bucket', `le="${le}"`);
  return { received: sum('lethe_api_requests_received_total'), answered: settled - abandoned, abandoned, over10s: settled - within('10'), over15s: settled - within('15') };
}

const count2xx = (result: OpenLoopResult) => Object.entries(result.statuses).filter(([status]) => status.startsWith('2')).reduce((sum, [, n]) => sum + n, 0);

/** The same open loop, at `rate`, against a bare Fastify route on the same path: what the machine and this client allow. */
async function bareRouteUnder(rate: number): Promise<OpenLoopResult> {
  const barePort = 3996;
  const bare = startApp('bare route', 'bench/api/bare-route.ts', {}, [String(barePort)]);
  try {
    const bareUrl = `http://127.0.0.1:${barePort}`;
    await waitUntil(() => fetch(`${bareUrl}/health`).then((r) => r.ok, () => false), 60_000, 'the bare route /health');
    return await openLoop({ url: bareUrl, headers: {}, rate, seconds, requestFor: newSubjectWithdrawal, maxSockets: connections, timeoutMs: 15_000 });
  } finally {
    await stopChild(bare, 'SIGTERM');
  }
}

main().catch((error: Error) => {
  console.error(`[bench] failed: ${error.message}`);
  process.exit(1);
});
