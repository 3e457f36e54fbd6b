import { Admin, Producer } from 'kafkajs';
import { collectMessages, createFreshTopic, testKafka, uniqueName, waitForMessages } from '@lethe/testing';
import { createSafeProducer, sendInChunks } from '.';

describe('sendInChunks', () => {
  const kafka = testKafka('chunks-test');
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

  it('delivers a fan-out larger than the broker accepts in one request, in order', async () => {
    const topic = await createFreshTopic(admin, 'chunks');
    // 3 MiB for one partition: a single send of this is refused by a broker with default limits.
    const messages = Array.from({ length: 3_000 }, (_, i) => ({ key: 'same-subject', value: Buffer.alloc(1_024, i % 256) }));
    await expect(producer.send({ topic, acks: -1, messages })).rejects.toThrow(/larger than the max message size/);

    await sendInChunks(producer, topic, messages);
    const consumer = kafka.consumer({ groupId: uniqueName('chunks') });
    await consumer.connect();
    try {
      const received = await waitForMessages(await collectMessages(consumer, topic), 3_000, 60_000);
      expect(received.map((m) => m.message.value?.[0])).toEqual(messages.map((m) => m.value[0]));
    } finally {
      await consumer.disconnect();
    }
  });
});
