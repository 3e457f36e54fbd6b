import { Admin, logLevel, LogEntry, Partitioners } from 'kafkajs';
import { ConsentStateCodec, subjectsFor, topicsFor } from '@lethe/contracts';
import { createLetheTopics, DedicatedBroker, stateOfKind, testEndpoints, uniqueName, waitFor, writeStateRecords } from '@lethe/testing';
import { ConsentGuard } from '.';

const MAX_STALENESS_MS = 3_000;

describe('ConsentGuard when its broker goes down', () => {
  const registryUrl = testEndpoints().schemaRegistryUrl;
  const prefix = `${uniqueName('test')}.`;
  const names = topicsFor(prefix);
  const subject = 'outage-1';
  const logs: LogEntry[] = [];
  let broker: DedicatedBroker;
  let admin: Admin;
  const guards: ConsentGuard[] = [];

  beforeAll(async () => {
    broker = await DedicatedBroker.start();
    admin = broker.kafka('outage-admin').admin();
    await admin.connect();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(guards.map((guard) => guard.stop()));
    await admin?.disconnect();
    await broker?.close();
  });

  async function writeState(kind: number, version: number): Promise<void> {
    const producer = broker.kafka('outage-producer').producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const codec = ConsentStateCodec.forRegistry(registryUrl, subjectsFor(names).consentStateValue);
      await writeStateRecords(producer, codec, names.consentState, [{ key: subject, state: stateOfKind(subject, kind, version) }]);
    } finally {
      await producer.disconnect();
    }
  }

  function guardOn(service: string, whenStale: 'deny' | 'answer'): ConsentGuard {
    // The guard logs through the service's kafkajs client: keep its lines to check them.
    const kafka = broker.kafka(`outage-${service}`, { logLevel: logLevel.INFO, logCreator: () => (entry) => void logs.push(entry) });
    const guard = ConsentGuard.create({ kafka, schemaRegistryUrl: registryUrl, topicPrefix: prefix, service, maxStalenessMs: MAX_STALENESS_MS, whenStale, metrics: false });
    guards.push(guard);
    return guard;
  }

  it('turns stale within maxStalenessMs, denies (or answers flagged), and is fresh and current again after a restart', async () => {
    await createLetheTopics(admin, names, 1);
    await writeState(0, 1); // marketing granted
    const denying = guardOn('outage-deny', 'deny');
    const answering = guardOn('outage-answer', 'answer');
    await Promise.all([denying.start(), answering.start()]);
    await Promise.all([denying.ready(60_000), answering.ready(60_000)]);
    expect(denying.allowed(subject, 'marketing')).toEqual({ allowed: true, reason: 'granted', version: 1, stale: false });

    await broker.stop('SIGKILL');
    const stoppedAt = Date.now();
    await waitFor(() => denying.allowed(subject, 'marketing').stale, { description: 'the guard to report stale', timeoutMs: MAX_STALENESS_MS + 3_000 });
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(MAX_STALENESS_MS + 3_000);
    expect(denying.allowed(subject, 'marketing')).toEqual({ allowed: false, reason: 'stale', version: null, stale: true });
    expect(denying.isAllowed(subject, 'marketing')).toBe(false);
    await waitFor(() => answering.allowed(subject, 'marketing').stale, { description: 'the answering guard to report stale', timeoutMs: 3_000 });
    expect(answering.allowed(subject, 'marketing')).toEqual({ allowed: true, reason: 'granted', version: 1, stale: true });
    expect(denying.stalenessMs()).toBeGreaterThan(MAX_STALENESS_MS);
    const staleFor = denying.stalenessMs();
    await waitFor(() => denying.stalenessMs() > staleFor, { description: 'staleness to keep growing', timeoutMs: 2_000 });

    const restarting = Date.now();
    await broker.restart();
    const restarted = Date.now();
    await writeState(1, 2); // marketing withdrawn
    await waitFor(() => denying.allowed(subject, 'marketing').reason === 'withdrawn', { description: 'the guard to be fresh and see the withdrawal', timeoutMs: 90_000, intervalMs: 200 });
    expect(denying.allowed(subject, 'marketing')).toEqual({ allowed: false, reason: 'withdrawn', version: 2, stale: false });
    console.log(`[guard] broker restarted in ${restarted - restarting} ms; guard current ${Date.now() - restarted} ms after that`);
    await waitFor(() => answering.allowed(subject, 'marketing').reason === 'withdrawn', { description: 'the answering guard too', timeoutMs: 30_000 });
    expect(answering.allowed(subject, 'marketing').stale).toBe(false);

    const guardLines = logs.filter((entry) => entry.namespace.startsWith('ConsentGuard:')).map((entry) => entry.log.message);
    const outageLines = (service: string) => logs.filter((entry) => entry.namespace === `ConsentGuard:${service}` && /cannot confirm the guard is caught up/.test(entry.log.message));
    expect(outageLines('outage-deny')).toHaveLength(1);
    expect(outageLines('outage-answer')).toHaveLength(1);
    expect(guardLines.filter((line) => line.includes(subject))).toEqual([]);
  }, 240_000);
});
