/**
 * Writes N consent events to consent.log, then measures in the same run, on the same data:
 *   1. the broker's own consumer (kafka-consumer-perf-test) reading them: the ceiling;
 *   2. an in-memory fold: the CLI's scan of the log, Avro decode and the projector's fold
 *      (foldRecords) into a Map, nothing written: what replay costs without PostgreSQL;
 *   3. `lethe rebuild --into <new schema>` as an operator runs it (a process of its own, start-up
 *      included), and its peak RSS.
 * Run through bench/run.sh (npm run bench:replay -- [events] [value bytes]).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { endpointsFrom, topicSettingsFrom } from '@lethe/config';
import { SubjectState } from '@lethe/consent-domain';
import { ConsentEventCodec, subjectsFor } from '@lethe/contracts';
import { createKafka } from '@lethe/kafka';
import { openDatabase } from '@lethe/persistence';
import { decodeRecord, foldRecords } from '@lethe/projection';
import { logEnds, scanLog } from '../../apps/lethe-cli/src/log-scan';
import { consumerPerfTest, figure, log, rate, recordRss } from '../common';
import { fillConsentLog } from '../consent-log-fill';

const total = Number(process.argv[2] ?? 1_000_000);
const valueBytes = Number(process.argv[3] ?? 300);
const partitions = 6;
const endpoints = endpointsFrom(process.env);
const topics = topicSettingsFrom(process.env).names;

async function inMemoryFold(): Promise<number> {
  const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: 'bench-replay' });
  const codec = ConsentEventCodec.forRegistry(endpoints.schemaRegistryUrl, subjectsFor(topics).consentLogValue);
  const states = new Map<string, SubjectState>();
  const started = Date.now();
  const ends = await logEnds(kafka, topics.consentLog);
  let folded = 0;
  await scanLog(kafka, {
    topic: topics.consentLog,
    ends,
    onRecords: async (partition, messages) => {
      const records = await Promise.all(messages.map((message) => decodeRecord(codec, message)));
      for (const state of foldRecords(partition, records, states).changed) states.set(state.subjectId, state);
      folded += messages.length;
    },
  });
  const ms = Date.now() - started;
  if (folded !== total) throw new Error(`the in-memory fold read ${folded} events, not ${total}`);
  log(`in-memory fold: ${folded} events into ${states.size} subjects in ${(ms / 1000).toFixed(1)} s = ${rate(folded, ms)} events/s`);
  return rate(folded, ms);
}

async function rebuildRun(): Promise<{ rate: number; peakRssMb: number }> {
  const schema = `bench_replay_${Date.now()}`;
  const started = Date.now();
  // GNU time reports the child's peak RSS (%M, KiB) on its last line of stderr.
  const run = spawnSync('/usr/bin/time', ['-f', '%M', 'node', resolve(__dirname, '../../apps/lethe-cli/bin/lethe.js'), 'rebuild', '--into', schema, '--json'], {
    encoding: 'utf8',
    env: process.env,
  });
  const ms = Date.now() - started;
  if (run.status !== 0) throw new Error(`lethe rebuild failed (${run.status}): ${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}');
  if (result.events !== total) throw new Error(`lethe rebuild folded ${result.events} events, not ${total}`);
  const peakRssMb = Math.round(Number(run.stderr.trim().split('\n').pop()) / 1024);
  const db = await openDatabase({ url: endpoints.databaseUrl });
  await db.query(`drop schema if exists "${schema}" cascade`);
  await db.destroy();
  log(`lethe rebuild: ${result.events} events, ${result.subjects} subjects in ${(ms / 1000).toFixed(1)} s (process start included; its own figure ${result.seconds} s) = ${rate(total, ms)} events/s, peak RSS ${peakRssMb} MiB`);
  return { rate: rate(total, ms), peakRssMb };
}

async function main(): Promise<void> {
  log(`${total} events of about ${valueBytes} bytes, ${partitions} partitions, broker ${endpoints.kafkaBrokers.join(',')}`);
  const bytes = await fillConsentLog(endpoints, topics, { total, valueBytes, partitions });
  const perf = consumerPerfTest(endpoints, topics.consentLog, total);
  const fold = await inMemoryFold();
  const rebuild = await rebuildRun();
  figure({ name: `in-memory fold of ${total} events`, value: fold, unit: 'events/s', ceilingName: 'kafka-consumer-perf-test', ceilingValue: perf });
  figure({ name: `lethe rebuild of ${total} events`, value: rebuild.rate, unit: 'events/s', ceilingName: 'kafka-consumer-perf-test', ceilingValue: perf });
  recordRss('lethe rebuild', rebuild.peakRssMb);
  console.log('');
  console.log('| events | value bytes | kafka-consumer-perf-test (msg/s) | in-memory fold (events/s) | ratio | lethe rebuild (events/s) | ratio | rebuild peak RSS |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(`| ${total} | ${bytes} | ${perf} | ${fold} | ${(fold / perf).toFixed(3)} | ${rebuild.rate} | ${(rebuild.rate / perf).toFixed(3)} | ${rebuild.peakRssMb} MiB |`);
}

main().catch((error: Error) => {
  console.error(`[bench] failed: ${error.message}`);
  process.exit(1);
});
