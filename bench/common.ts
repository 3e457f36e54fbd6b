import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Endpoints } from '@lethe/config';

/** What every benchmark prints and how it computes a rate. */
export const log = (line: string) => console.log(`[bench] ${line}`);
export const rate = (count: number, ms: number) => Math.round((count * 1000) / ms);

/** One measured figure next to its ceiling from the same run; `ratio` is 1 when Lethe matches the ceiling. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  ceilingName: string;
  ceilingValue: number;
  ratio: number;
}

/**
 * Hands a figure to `npm run bench` (bench/all.ts), which collects them from every benchmark into
 * one table, BENCHMARKS.md and bench/results/latest.json. A benchmark run on its own just prints.
 * The ratio defaults to value / ceiling (rates); give it for figures where less is better.
 */
export function figure(measured: Omit<Figure, 'ratio'> & { ratio?: number }): void {
  const entry: Figure = { ...measured, ratio: Number((measured.ratio ?? measured.value / measured.ceilingValue).toFixed(4)) };
  if (process.env.LETHE_BENCH_FIGURES) appendFileSync(process.env.LETHE_BENCH_FIGURES, `${JSON.stringify({ figure: entry })}\n`);
}

/** The peak resident set size (VmHWM) of a live process of this machine, in MiB. */
export function peakRssMib(pid: number = process.pid): number {
  const kib = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB$/m)?.[1] ?? NaN);
  return Math.round(kib / 1024);
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s, as on Linux). */
export function cpuSeconds(pid: number = process.pid): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  // After the command name: state is field 3, utime 14, stime 15 (proc(5)).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Hands a process's peak RSS to `npm run bench`, as `figure` does; read it just before the process ends. */
export function peakRss(processName: string, pid: number = process.pid): void {
  recordRss(processName, peakRssMib(pid));
}

export function recordRss(processName: string, mib: number): void {
  log(`peak RSS of ${processName}: ${mib} MiB`);
  if (process.env.LETHE_BENCH_FIGURES) appendFileSync(process.env.LETHE_BENCH_FIGURES, `${JSON.stringify({ rss: { process: processName, mib } })}\n`);
}

/**
 * The broker's own producer (org.apache.kafka.tools.ProducerPerformance, kafka-producer-perf-test)
 * writing `records` of `recordBytes` with acks=all and idempotence, as Lethe's producers do, to a
 * topic of its own: the ceiling of any rate of appends. Returns its records per second.
 */
export function producerPerfTest(endpoints: Endpoints, records: number, recordBytes: number): number {
  const topic = `bench.producer-perf.${randomUUID()}`;
  const bootstrap = endpoints.kafkaBrokers.join(',');
  // The broker creates no topic on first use (auto.create.topics.enable=false), so the tool's gets made first.
  const create = spawnSync('bash', [resolve(__dirname, '../deploy/local/stack.sh'), 'kafka-tool', 'org.apache.kafka.tools.TopicCommand', '--bootstrap-server', bootstrap, '--create', '--topic', topic, '--partitions', '6'], { encoding: 'utf8' });
  if (create.status !== 0) throw new Error(`creating ${topic} failed: ${create.stderr}`);
  const run = spawnSync(
    'bash',
    [
      resolve(__dirname, '../deploy/local/stack.sh'),
      'kafka-tool',
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(recordBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
      'acks=all',
      'enable.idempotence=true',
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (run.status !== 0) throw new Error(`ProducerPerformance failed: ${run.stderr}`);
  // "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, p50, p95, p99, p99.9"
  const summary = run.stdout.trim().split('\n').pop() ?? '';
  const perSecond = Number(summary.match(/records sent, ([\d.]+) records\/sec/)?.[1] ?? NaN);
  log(`kafka-producer-perf-test: ${summary}`);
  return Math.round(perSecond);
}

/**
 * The broker's own consumer (org.apache.kafka.tools.ConsumerPerformance, kafka-consumer-perf-test)
 * reading `messages` records of `topic` with a new group: the yardstick every rate is set against.
 * Returns its overall messages per second.
 */
export function consumerPerfTest(endpoints: Endpoints, topic: string, messages: number): number {
  const run = spawnSync(
    'bash',
    [
      resolve(__dirname, '../deploy/local/stack.sh'),
      'kafka-tool',
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      endpoints.kafkaBrokers.join(','),
      '--topic',
      topic,
      '--messages',
      String(messages),
      '--group',
      `perf-${randomUUID()}`,
      '--hide-header',
      '--timeout',
      '60000',
    ],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`ConsumerPerformance failed: ${run.stderr}`);
  // start, end, MB, MB/s, messages, messages/s, rebalance ms, fetch ms, fetch MB/s, fetch messages/s
  const columns = run.stdout.trim().split('\n').pop()?.split(',').map((c) => c.trim()) ?? [];
  log(`kafka-consumer-perf-test: ${columns[4]} messages, ${columns[5]} msg/s overall, ${columns[9]} msg/s fetching (rebalance ${columns[6]} ms)`);
  return Number(columns[5]);
}
