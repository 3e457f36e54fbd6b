/**
 * `stack.sh up` runs this after the broker's port opens: it returns only when the broker serves
 * an idempotent producer and a consumer group join, the first things every Lethe app and test
 * does, so nothing started afterwards meets a coordinator that is still loading.
 *
 *   kafka-ready.ts <broker host:port[,host:port…]> <timeout in seconds>
 */
import { logLevel } from 'kafkajs';
import { createKafka, waitUntilKafkaServes } from '@lethe/kafka';

const [broker, seconds] = process.argv.slice(2);
const kafka = createKafka({ brokers: broker.split(','), clientId: 'lethe-stack-readiness', logLevel: logLevel.NOTHING });
const started = Date.now();
waitUntilKafkaServes(kafka, Number(seconds) * 1_000).then(
  () => {
    console.log(`[stack] kafka: serves producers and consumer groups (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    process.exit(0);
  },
  (error: Error) => {
    console.error(`[stack] ERROR: ${error.message}`);
    process.exit(1);
  },
);
