import { Admin, Consumer, Partitioners, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createFreshTopic, LetheTopics, stateOfKind, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ConsentGuard, guardedEachMessage } from '.';

describe('guardedEachMessage', () => {
  const kafka = testKafka('guard-each-message');
  const registryUrl = testEndpoints().schemaRegistryUrl;
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer | undefined;
  let guard: ConsentGuard | undefined;
  let topics: LetheTopics;
  let jobs: string | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    topics = await LetheTopics.create(kafka, 2);
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await guard?.stop();
    await topics.drop();
    if (jobs) await admin.deleteTopics({ topics: [jobs] });
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it("skips a restricted subject's jobs, processes the others and counts the skips by purpose", async () => {
    // kind 0: marketing granted; kind 1: marketing withdrawn; kind 4: opted out of SALE.
    await topics.writeStates([
      { key: 'job-granted', state: stateOfKind('job-granted', 0, 1) },
      { key: 'job-withdrawn', state: stateOfKind('job-withdrawn', 1, 1) },
      { key: 'job-opted-out', state: stateOfKind('job-opted-out', 4, 1) },
    ]);
    const metrics = new Registry();
    guard = ConsentGuard.create({ kafka, schemaRegistryUrl: registryUrl, topicPrefix: topics.prefix, service: 'mailer', metrics });
    await guard.start(); // not awaited ready: the wrapper waits for it by itself

    jobs = await createFreshTopic(admin, 'jobs');
    const subjects = ['job-granted', 'job-withdrawn', 'job-opted-out', null, 'job-granted', 'job-withdrawn'];
    await producer.send({ topic: jobs, messages: subjects.map((subject, i) => ({ key: subject, value: `job-${i}` })) });

    const processed: string[] = [];
    const skipped: string[] = [];
    consumer = kafka.consumer({ groupId: uniqueName('test.mailer') });
    await consumer.connect();
    await consumer.subscribe({ topic: jobs, fromBeginning: true });
    await consumer.run({
      eachMessage: guardedEachMessage(
        guard,
        { purpose: 'marketing', subjectOf: (message) => message.key?.toString(), onSkipped: ({ message }, decision) => skipped.push(`${message.value}:${decision.reason}`) },
        async ({ message }) => void processed.push(String(message.value)),
      ),
    });

    await waitFor(() => processed.length + skipped.length === subjects.length, { description: 'every job handled or skipped' });
    expect(processed).toEqual(['job-0', 'job-2', 'job-3', 'job-4']); // opted out of SALE only: marketing still granted; no subject: passes
    expect(skipped).toEqual(['job-1:withdrawn', 'job-5:withdrawn']);
    const skips = await metrics.getSingleMetric('lethe_guard_skipped_messages_total')?.get();
    expect(skips?.values).toEqual([{ labels: { service: 'mailer', purpose: 'marketing' }, value: 2 }]);
    // Every decision the wrapper acted on is counted, by outcome (the message without a subject made none).
    const decisions = await metrics.getSingleMetric('lethe_guard_decisions_total')?.get();
    expect(decisions?.values).toEqual(
      expect.arrayContaining([
        { labels: { service: 'mailer', purpose: 'marketing', outcome: 'allowed' }, value: 3 },
        { labels: { service: 'mailer', purpose: 'marketing', outcome: 'restricted' }, value: 2 },
      ]),
    );
  });
});
