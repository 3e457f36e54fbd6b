import { Admin, Partitioners, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { ConsentStateCodec, subjectsFor, topicsFor } from '@lethe/contracts';
import { createLetheTopics, disagreements, freshTopicSet, testEndpoints, testKafka, variedStateRecords, writeStateRecords } from '@lethe/testing';
import { ConsentGuard } from '.';

const SUBJECTS = 75_000; // about 101,000 records with the older, stale and tombstone records
const READY_DEADLINE_MS = 60_000;

describe('ConsentGuard against 100,000 consent.state records', () => {
  const kafka = testKafka('guard-catch-up');
  let admin: Admin;
  let producer: Producer;
  let topicSet: ReturnType<typeof freshTopicSet>;

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    topicSet = freshTopicSet(admin);
  });

  afterAll(async () => {
    await topicSet.drop();
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it('started from scratch, is ready within the deadline and answers what decisionFor says of each latest version', async () => {
    const names = topicsFor(topicSet.prefix);
    await createLetheTopics(admin, names, 6);
    const codec = ConsentStateCodec.forRegistry(testEndpoints().schemaRegistryUrl, subjectsFor(names).consentStateValue);
    const { records, latest } = variedStateRecords(SUBJECTS, 'catch-up');
    expect(records.length).toBeGreaterThanOrEqual(100_000);
    await writeStateRecords(producer, codec, names.consentState, records);

    const metrics = new Registry();
    const guard = ConsentGuard.create({ kafka, schemaRegistryUrl: testEndpoints().schemaRegistryUrl, topicPrefix: topicSet.prefix, service: 'catch-up-test', metrics });
    const started = Date.now();
    await guard.start();
    try {
      await guard.ready(READY_DEADLINE_MS);
      console.log(`[guard] ready on ${records.length} records in ${Date.now() - started} ms`);
      expect(disagreements(guard, latest)).toEqual([]);
      const held = [...latest.values()].filter((state) => state !== null).length;
      expect(await gauge(metrics, 'lethe_guard_subjects')).toBe(held);
      expect(guard.stalenessMs()).toBeLessThan(5_000);
    } finally {
      await guard.stop();
    }
  }, READY_DEADLINE_MS + 120_000);
});

async function gauge(registry: Registry, name: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value;
}
