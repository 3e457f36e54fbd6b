import { Admin, Message, Producer } from 'kafkajs';
import { collectMessages, createFreshTopic, testKafka, uniqueName, waitForMessages } from '@lethe/testing';
import { ACKS_ALL, createSafeProducer, GroupCommit } from '.';

// Group commit on the real broker, through the idempotent producer at acks=all.

describe('GroupCommit on the broker', () => {
  const kafka = testKafka('group-commit-test');
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

  async function readAll(topic: string, count: number) {
    const consumer = kafka.consumer({ groupId: uniqueName('group-commit') });
    await consumer.connect();
    try {
      const received = await waitForMessages(await collectMessages(consumer, topic), count, 60_000);
      // Nothing beyond `count` either: read to the end the broker reports.
      const ends = await admin.fetchTopicOffsets(topic);
      expect(ends.reduce((sum, { high }) => sum + Number(high), 0)).toBe(count);
      return received;
    } finally {
      await consumer.disconnect();
    }
  }

  it('puts many concurrent appends on the log exactly once each, in fewer requests, keeping each subject’s order', async () => {
    const topic = await createFreshTopic(admin, 'group-commit', { numPartitions: 6 });
    let requests = 0;
    const commit = new GroupCommit(async (messages) => {
      requests++;
      await producer.send({ topic, acks: ACKS_ALL, messages });
    });
    const subjects = Array.from({ length: 50 }, (_, i) => `subj-${i}`);
    const asked = new Map<string, string[]>(subjects.map((s) => [s, []]));
    const callers = Array.from({ length: 2_000 }, (_, n) => {
      const subject = subjects[n % subjects.length];
      const messages: Message[] = Array.from({ length: 1 + (n % 3) }, (_, i) => ({ key: subject, value: `${n}.${i}` }));
      asked.get(subject)?.push(...messages.map((m) => `${m.value}`));
      return commit.append(messages);
    });
    const outcomes = await Promise.allSettled(callers);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const total = [...asked.values()].reduce((sum, values) => sum + values.length, 0);
    expect(requests).toBeLessThan(callers.length / 10);

    const received = await readAll(topic, total);
    for (const subject of subjects) {
      const values = received.filter((r) => r.message.key?.toString() === subject).map((r) => r.message.value?.toString());
      expect(values).toEqual(asked.get(subject));
    }
  });

  it('fails exactly the callers of a refused request; the others are on the log', async () => {
    const topic = await createFreshTopic(admin, 'group-commit-fail');
    // Large enough to gather an over-sized record with its neighbours, which the broker refuses whole.
    const commit = GroupCommit.forProducer(producer, topic, 8 * 1024 * 1024);
    const first = commit.append([{ key: 's', value: 'first' }]);
    const refused = [
      commit.append([{ key: 's', value: 'refused-1' }]),
      commit.append([{ key: 't', value: Buffer.alloc(2 * 1024 * 1024) }]),
      commit.append([{ key: 's', value: 'refused-2' }]),
    ];
    await expect(first).resolves.toBeUndefined();
    const later = commit.append([{ key: 's', value: 'later' }]);
    for (const caller of refused) await expect(caller).rejects.toThrow(/larger than the max message size/);
    await expect(later).resolves.toBeUndefined();

    const received = await readAll(topic, 2);
    expect(received.map((r) => r.message.value?.toString())).toEqual(['first', 'later']);
  });
});
