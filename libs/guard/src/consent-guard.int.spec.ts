import { Registry } from 'prom-client';
import { disagreements, LetheTopics, testEndpoints, testKafka, variedStateRecords, waitFor } from '@lethe/testing';
import { ConsentGuard } from '.';

const SUBJECTS = 75_000; // about 101,000 records with the older, stale and tombstone records
const READY_DEADLINE_MS = 60_000;

describe('ConsentGuard against 100,000 consent.state records', () => {
  const kafka = testKafka('guard-catch-up');
  let topics: LetheTopics;

  beforeAll(async () => {
    topics = await LetheTopics.create(kafka, 6);
  });

  afterAll(() => topics.drop());

  it('started from scratch, is ready within the deadline and answers what decisionFor says of each latest version', async () => {
    const { records, latest } = variedStateRecords(SUBJECTS, 'catch-up');
    expect(records.length).toBeGreaterThanOrEqual(100_000);
    await topics.writeStates(records);

    const metrics = new Registry();
    const guard = ConsentGuard.create({ kafka, schemaRegistryUrl: testEndpoints().schemaRegistryUrl, topicPrefix: topics.prefix, service: 'catch-up-test', metrics });
    const started = Date.now();
    await guard.start();
    try {
      await expect(guard.ready(1)).rejects.toThrow(new RegExp(`not ready after 1 ms: ${topics.names.consentState}: \\d+ of \\d+ offsets consumed, \\d of 6 partition\\(s\\) behind; ${topics.names.optOuts}: 0 of 0`));
      expect(guard.allowed('catch-up-1', 'analytics')).toEqual({ allowed: false, reason: 'not_ready', version: null, stale: false });
      await guard.ready(READY_DEADLINE_MS);
      console.log(`[guard] ready on ${records.length} records in ${Date.now() - started} ms`);
      expect(disagreements(guard, latest)).toEqual([]);
      const held = [...latest.values()].filter((state) => state !== null).length;
      expect(await gauge(metrics, 'lethe_guard_subjects')).toBe(held);
      // Ready confirms the watermarks fetched at start, so staleness then is as old as the catch-up
      // took; the next watermark check (every second) confirms it fresh: 0 within a few checks.
      await waitFor(() => guard.stalenessMs() === 0, { description: 'the guard to confirm it is fresh after catching up', timeoutMs: 10_000 });
    } finally {
      await guard.stop();
    }
  }, READY_DEADLINE_MS + 120_000);
});

async function gauge(registry: Registry, name: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value;
}
