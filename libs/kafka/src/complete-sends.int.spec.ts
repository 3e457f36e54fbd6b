import { Admin, Producer } from 'kafkajs';
import { createFreshTopic, testKafka } from '@lethe/testing';
import { ACKS_ALL, createSafeProducer } from '.';

// The producer every Lethe app uses checks each send's acknowledgements per partition
// (complete-sends.ts); on a healthy broker that must change nothing about where records go.
describe('createSafeProducer sends', () => {
  const kafka = testKafka('complete-sends-test');
  let admin: Admin;
  let producer: Producer;
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = createSafeProducer(kafka);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
  });

  it('answers once per partition written, for keyed records and records that name their partition', async () => {
    const topic = await createFreshTopic(admin, 'complete-sends', { numPartitions: 3 });
    const keyed = Array.from({ length: 30 }, (_, i) => ({ key: `subject-${i}`, value: `v${i}` }));
    const named = [{ partition: 2, value: 'to-2' }, { partition: 0, value: 'to-0' }];
    const answered = await producer.send({ topic, acks: ACKS_ALL, messages: [...keyed, ...named] });
    const partitions = answered.map((r) => r.partition).sort();
    expect(new Set(partitions).size).toBe(partitions.length);
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(keyed.length + named.length);
  });
});
