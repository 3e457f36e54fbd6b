import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { Endpoints } from '@lethe/config';

/** What every benchmark prints and how it computes a rate. */
export const log = (line: string) => console.log(`[bench] ${line}`);
export const rate = (count: number, ms: number) => Math.round((count * 1000) / ms);

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
