import type { Consumer, Producer } from 'kafkajs';
import { ConsentGuard, guardedEachMessage } from '@lethe/guard';
import { ACKS_ALL, createSafeProducer } from '@lethe/kafka';
import { AppProcess, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness } from './testing/api-harness';

// A service's own queue holds 10,000 jobs for a subject when the subject withdraws consent
// through the API: from the moment its guard knows (the withdrawal on the log plus the guard's
// measured lag), not one more of those jobs is processed; every other subject's jobs are.

jest.setTimeout(240_000);

const kafka = testKafka('guard-queued-jobs-e2e');
const JOBS_EACH = 10_000;
let api: ApiHarness;
let projector: AppProcess;
let guard: ConsentGuard;
let producer: Producer;
let consumer: Consumer;

beforeAll(async () => {
  api = await ApiHarness.start('guard-queued-jobs-e2e');
  projector = new AppProcess('apps/projector/src/main.ts', { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.guard-jobs-projector') });
  guard = ConsentGuard.create({ kafka, schemaRegistryUrl: testEndpoints().schemaRegistryUrl, topicPrefix: api.env.LETHE_TOPIC_PREFIX, service: 'jobs-e2e', metrics: false });
  await guard.start();
  await guard.ready(60_000);
  producer = createSafeProducer(kafka);
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await consumer?.disconnect();
  await producer?.disconnect();
  await guard?.stop();
  await projector?.stop();
  await api?.close();
});

const grant = (subject: string) => api.post(`/v1/subjects/${subject}/consents/grant`, { purposes: ['marketing'], policyVersion: 'privacy-v3', jurisdiction: 'GDPR' });
const withdraw = (subject: string) => api.post(`/v1/subjects/${subject}/consents/withdraw`, { purposes: ['marketing'], jurisdiction: 'GDPR' });

it('processes none of a withdrawn subject’s queued jobs once its guard knows, and all of the others’', async () => {
  const [leaving, staying] = [uniqueName('subj-leaving'), uniqueName('subj-staying')];
  for (const subject of [leaving, staying]) expect((await grant(subject)).statusCode).toBe(202);
  await waitFor(() => guard.allowed(leaving, 'marketing').allowed && guard.allowed(staying, 'marketing').allowed, { description: 'both grants known to the guard', timeoutMs: 30_000 });

  const jobs = uniqueName('test.jobs');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: jobs, numPartitions: 3 }] });
  await admin.disconnect();
  for (let start = 0; start < 2 * JOBS_EACH; start += 2_000) {
    const messages = Array.from({ length: 2_000 }, (_, i) => {
      const n = start + i;
      return { key: `job-${n}`, value: JSON.stringify({ subjectId: n % 2 ? staying : leaving, job: n }) };
    });
    await producer.send({ topic: jobs, acks: ACKS_ALL, messages });
  }

  let restrictedAt = 0;
  guard.onRestricted((notice) => {
    if (notice.subject_id === leaving && !restrictedAt) restrictedAt = Date.now();
  });
  const processed = new Map<string, number[]>([[leaving, []], [staying, []]]);
  const skipped = new Map<string, number>();
  let withdrawnAt = 0;
  consumer = kafka.consumer({ groupId: uniqueName('test.jobs-service') });
  await consumer.connect();
  await consumer.subscribe({ topic: jobs, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachMessage: guardedEachMessage(
      guard,
      {
        purpose: 'marketing',
        subjectOf: (message) => JSON.parse(message.value?.toString() ?? '{}').subjectId,
        onSkipped: ({ message }) => {
          const { subjectId } = JSON.parse(message.value?.toString() ?? '{}');
          skipped.set(subjectId, (skipped.get(subjectId) ?? 0) + 1);
        },
      },
      async ({ message }) => {
        const { subjectId } = JSON.parse(message.value?.toString() ?? '{}');
        processed.get(subjectId)?.push(Date.now());
        await new Promise((done) => setTimeout(done, 1)); // the job's work
      },
    ),
  });

  await waitFor(() => (processed.get(leaving)?.length ?? 0) >= 1_000, { description: 'the queue to be well under way', timeoutMs: 60_000 });
  withdrawnAt = Date.now();
  expect((await withdraw(leaving)).statusCode).toBe(202);
  await waitFor(() => (processed.get(staying)?.length ?? 0) >= JOBS_EACH && (processed.get(leaving)?.length ?? 0) + (skipped.get(leaving) ?? 0) >= JOBS_EACH, {
    description: 'every job processed or skipped',
    timeoutMs: 120_000,
  });

  const lag = restrictedAt - withdrawnAt;
  console.log(`withdrawal known to the guard ${lag} ms after it was sent; ${skipped.get(leaving)} jobs skipped`);
  expect(restrictedAt).toBeGreaterThan(0);
  expect(lag).toBeLessThan(5_000);
  const late = (processed.get(leaving) ?? []).filter((at) => at > withdrawnAt + lag);
  expect(late).toEqual([]);
  expect(skipped.get(leaving)).toBeGreaterThan(1_000);
  expect((processed.get(leaving)?.length ?? 0) + (skipped.get(leaving) ?? 0)).toBe(JOBS_EACH);
  expect(processed.get(staying)).toHaveLength(JOBS_EACH);
  expect(skipped.get(staying)).toBeUndefined();
});
