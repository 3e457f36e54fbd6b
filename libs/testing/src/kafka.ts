import { randomUUID } from 'node:crypto';
import { Admin, Consumer, EachMessagePayload, ITopicConfig, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { endpointsFrom, Endpoints } from '@lethe/config';
import { topicsFor } from '@lethe/contracts';
import { ACKS_ALL } from '@lethe/kafka';
import { waitFor } from './wait-for';

/** The services the test run resolved (see stack/global-setup.ts). */
export function testEndpoints(): Endpoints {
  return endpointsFrom(process.env, 'lethe_test');
}

/** A kafkajs client on the brokers the test run resolved (see stack/global-setup.ts). */
export function testKafka(clientId = 'lethe-test'): Kafka {
  return new Kafka({ clientId, brokers: testEndpoints().kafkaBrokers, logLevel: logLevel.WARN });
}

/** A name no other test uses, so tests never see each other's records. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createFreshTopic(
  admin: Admin,
  prefix: string,
  options: Omit<ITopicConfig, 'topic'> = {},
): Promise<string> {
  const topic = uniqueName(`test.${prefix}`);
  const created = await admin.createTopics({
    topics: [{ numPartitions: 1, replicationFactor: 1, ...options, topic }],
    waitForLeaders: true,
  });
  if (!created) throw new Error(`topic ${topic} already existed`);
  return topic;
}

/** Subscribes `consumer` to `topic` from the beginning and collects what arrives. */
export async function collectMessages(consumer: Consumer, topic: string): Promise<EachMessagePayload[]> {
  const received: EachMessagePayload[] = [];
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async (payload) => {
      received.push(payload);
    },
  });
  return received;
}

export function waitForMessages(
  received: EachMessagePayload[],
  count: number,
  timeoutMs = 30_000,
): Promise<EachMessagePayload[]> {
  return waitFor(() => received.length >= count && received, {
    description: `${count} message(s)`,
    timeoutMs,
  });
}

/** A fresh subject whose records Lethe's producers (the default partitioner, by key) put on `partition` of a topic with `partitions`. */
export function subjectOn(partition: number, partitions = 6): string {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  for (;;) {
    const subject = `subj-${randomUUID().slice(0, 8)}`;
    if (partitioner({ topic: 'any', partitionMetadata, message: { key: subject, value: null } }) === partition) return subject;
  }
}

/**
 * Lethe's topics under a fresh LETHE_TOPIC_PREFIX, for apps a test starts with that prefix in
 * their environment: they create these topics and use nothing else. Delete them with `drop`.
 */
export function freshTopicSet(admin: Admin): { prefix: string; log: string; state: string; dlq: string; optOuts: string; audit: string; drop: () => Promise<void> } {
  const prefix = `${uniqueName('test')}.`;
  const { consentLog, consentState, consentDlq, optOuts, consentAudit } = topicsFor(prefix);
  const names = { log: consentLog, state: consentState, dlq: consentDlq, optOuts, audit: consentAudit };
  const drop = async () => {
    const existing = new Set(await admin.listTopics());
    await admin.deleteTopics({ topics: Object.values(names).filter((topic) => existing.has(topic)) });
  };
  return { prefix, ...names, drop };
}

/** Appends records to one partition of `topic` as they are (keys, bytes, headers); returns their offsets. */
export async function appendRaw(producer: Producer, topic: string, messages: { key: string; value: Buffer; headers?: Record<string, string> }[]): Promise<string[]> {
  const [{ baseOffset }] = await producer.send({ topic, acks: ACKS_ALL, messages });
  return messages.map((_, i) => String(BigInt(baseOffset as string) + BigInt(i)));
}
