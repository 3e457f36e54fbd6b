/**
 * Writes N consent events (about `valueBytes` each, Avro in the Confluent wire format) to
 * consent.log, then measures in the same run:
 *   1. the broker's own consumer (org.apache.kafka.tools.ConsumerPerformance) reading them, and
 *   2. the projector folding them into PostgreSQL (offsets in the same transactions): in this
 *      process, or as `processes` projector processes of one consumer group (the partitions split
 *      between them, each fenced by its stored offset), timed from their spawn,
 *   3. PostgreSQL alone writing the same number of rows of the rows it stored (postgres-ceiling.ts),
 * and prints the rates and the projector's ratio to each ceiling. Run through bench/run.sh:
 *   npm run bench:projector -- <events, 1000000> <value bytes, 300> [projector processes, 1]
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { endpointsFrom, topicSettingsFrom } from '@lethe/config';
import { openDatabase } from '@lethe/persistence';
import { loadProjectorConfig, ProjectorConfig } from '../../apps/projector/src/config';
import { startProjector } from '../../apps/projector/src/runtime';
import { consumerPerfTest, cpuSeconds, figure, log, peakRss, peakRssMib, rate, recordRss } from '../common';
import { fillConsentLog } from '../consent-log-fill';
import { startApp, stopChild } from '../processes';
import { postgresCeiling } from './postgres-ceiling';

const total = Number(process.argv[2] ?? 1_000_000);
const valueBytes = Number(process.argv[3] ?? 300);
const processes = Number(process.argv[4] ?? 1);
const partitions = 6;
const endpoints = endpointsFrom(process.env);
const topics = topicSettingsFrom(process.env).names;

async function projectorRun(): Promise<{ overall: number; steady: number; ceiling: { rowsPerSecond: number; meanRowBytes: number } }> {
  const schema = `bench_${Date.now()}`;
  const config = { ...loadProjectorConfig(process.env), databaseSchema: schema, groupId: `bench-${randomUUID()}` };
  const started = Date.now();
  const running = processes === 1 ? await inThisProcess(config) : await asProcesses(config);
  let firstCommit = 0;
  let applied = 0;
  let lastReport = Date.now();
  for (;;) {
    running.check();
    const [row] = await running.db.query(`select coalesce(sum(next_offset), 0)::bigint as applied from consumer_offsets where group_id = $1`, [config.groupId]);
    applied = Number(row.applied);
    if (applied > 0 && firstCommit === 0) firstCommit = Date.now();
    if (applied >= total) break;
    if (Date.now() - lastReport >= 5_000) {
      lastReport = Date.now();
      log(`projector: ${applied}/${total} applied, ${rate(applied, lastReport - started)} events/s so far`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  const ended = Date.now();
  const elapsed = ended - started;
  const cpu = running.cpuSeconds();
  log(`projector CPU: ${cpu.toFixed(1)} s (user + system, every projector process), ${((cpu * 1e6) / total).toFixed(1)} µs per event`);
  await running.stop();
  // Measured on the rows just stored, before they go: the same subjects, states and width.
  const ceiling = postgresCeiling(config.endpoints.databaseUrl, schema, total);
  const db = await openDatabase({ url: config.endpoints.databaseUrl });
  await db.query(`drop schema if exists "${schema}" cascade`);
  await db.destroy();
  const overall = rate(total, elapsed);
  const steady = rate(total, ended - firstCommit);
  log(`projector: ${total} events in ${(elapsed / 1000).toFixed(1)} s = ${overall} events/s overall (start-up included), ${steady} events/s from its first commit`);
  return { overall, steady, ceiling };
}

interface Running {
  db: DataSource;
  /** Throws once a projector process has exited: the rest would take its partitions after a session, and the figure would hide the stall. */
  check: () => void;
  /** CPU the projector used since it started (in this process, the watching loop's share with it). */
  cpuSeconds: () => number;
  stop: () => Promise<void>;
}

async function inThisProcess(config: ProjectorConfig): Promise<Running> {
  const cpuBefore = cpuSeconds();
  const running = await startProjector(
    config,
    (error) => {
      console.error(`[bench] projector stopped: ${error.message}`);
      process.exit(1);
    },
    'bench-projector',
  );
  return {
    db: running.db,
    check: () => undefined,
    cpuSeconds: () => cpuSeconds() - cpuBefore,
    stop: async () => {
      await running.stop();
      peakRss('bench process running the projector');
    },
  };
}

/** `processes` projectors (apps/projector/src/main.ts), one consumer group; this process only watches the stored offsets. */
async function asProcesses(config: ProjectorConfig): Promise<Running> {
  // No metrics endpoint: the processes would contend for one port.
  const env = { LETHE_DB_SCHEMA: config.databaseSchema ?? '', LETHE_PROJECTOR_GROUP: config.groupId, LETHE_LOG_LEVEL: 'error', LETHE_METRICS_PORT: '0' };
  const children = Array.from({ length: processes }, (_, i) => startApp(`projector ${i + 1}`, 'apps/projector/src/main.ts', env));
  const db = await openDatabase({ url: config.endpoints.databaseUrl, schema: config.databaseSchema });
  return {
    db,
    check: () => {
      const gone = children.findIndex((child) => child.exitCode !== null || child.signalCode !== null);
      if (gone === -1) return;
      children.forEach((child) => child.kill('SIGKILL'));
      throw new Error(`projector process ${gone + 1} of ${processes} exited (${children[gone].exitCode ?? children[gone].signalCode}) before the log was folded`);
    },
    cpuSeconds: () => children.reduce((sum, child) => sum + cpuSeconds(child.pid as number), 0),
    stop: async () => {
      children.forEach((child, i) => recordRss(`projector process ${i + 1} of ${processes}`, peakRssMib(child.pid as number)));
      await Promise.all(children.map((child) => stopChild(child)));
      await db.destroy();
    },
  };
}

async function main(): Promise<void> {
  log(`${total} events of about ${valueBytes} bytes, ${partitions} partitions, ${processes} projector process(es), broker ${endpoints.kafkaBrokers.join(',')}`);
  const bytes = await fillConsentLog(endpoints, topics, { total, valueBytes, partitions });
  const perf = consumerPerfTest(endpoints, topics.consentLog, total);
  const projector = await projectorRun();
  const { ceiling } = projector;
  const name = `projector${processes > 1 ? ` (${processes} processes)` : ''}: ${total} events folded into PostgreSQL`;
  figure({ name, value: projector.overall, unit: 'events/s', ceilingName: 'kafka-consumer-perf-test', ceilingValue: perf });
  figure({ name, value: projector.overall, unit: 'events/s', ceilingName: `PostgreSQL COPY + one merge, ${ceiling.meanRowBytes}-byte rows`, ceilingValue: ceiling.rowsPerSecond });
  console.log('');
  console.log(`| events | projector processes | value bytes | stored row bytes | kafka-consumer-perf-test (msg/s) | PostgreSQL COPY + merge (rows/s) | projector (events/s) | ratio to perf test | ratio to PostgreSQL |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
  console.log(
    `| ${total} | ${processes} | ${bytes} | ${ceiling.meanRowBytes} | ${perf} | ${ceiling.rowsPerSecond} | ${projector.overall} | ${(projector.overall / perf).toFixed(3)} | ${(projector.overall / ceiling.rowsPerSecond).toFixed(3)} |`,
  );
}

main().catch((error: Error) => {
  console.error(`[bench] failed: ${error.message}`);
  process.exit(1);
});
