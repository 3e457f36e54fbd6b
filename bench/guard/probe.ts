/**
 * The other process of the propagation benchmark, reporting to its parent over IPC:
 *   probe.ts guard <service>   a ConsentGuard on the run's topics; sends {ready} then {subject, at}
 *                              for every subject it learns is restricted
 *   probe.ts ping <topic>      a plain kafkajs consumer (the ceiling); sends {ready} then
 *                              {subject: key, at} for every record
 */
import { endpointsFrom, topicSettingsFrom } from '@lethe/config';
import { ConsentGuard } from '@lethe/guard';
import { createKafka } from '@lethe/kafka';

const [mode, name] = process.argv.slice(2);
const endpoints = endpointsFrom(process.env);
const kafka = createKafka({ brokers: endpoints.kafkaBrokers, clientId: `bench-probe-${mode}` });
const send = (message: object) => process.send?.(message);

async function guard(): Promise<void> {
  const guard = ConsentGuard.create({ kafka, schemaRegistryUrl: endpoints.schemaRegistryUrl, topicPrefix: topicSettingsFrom(process.env).prefix, service: name, metrics: false });
  guard.onRestricted((notice) => send({ subject: notice.subject_id, at: Date.now() }));
  await guard.start();
  await guard.ready(120_000);
  send({ ready: true });
}

async function ping(): Promise<void> {
  const consumer = kafka.consumer({ groupId: `bench-ping-${process.pid}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: name, fromBeginning: false });
  let ready = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (!ready) send({ ready: (ready = true) });
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      send({ subject: message.key?.toString(), at: Date.now() });
    },
  });
}

(mode === 'guard' ? guard() : ping()).catch((error: Error) => {
  console.error(`[probe] ${error.message}`);
  process.exit(1);
});
