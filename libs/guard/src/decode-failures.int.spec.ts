import { Kafka, Partitioners, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { LetheTopics, RegistryProxy, stateOfKind, testEndpoints, testKafka, waitFor } from '@lethe/testing';
import { ConsentGuard } from '.';

describe('ConsentGuard on records it cannot decode', () => {
  const kafka: Kafka = testKafka('guard-decode');
  let topics: LetheTopics;
  let raw: Producer;
  let guard: ConsentGuard | undefined;
  const proxy = new RegistryProxy(testEndpoints().schemaRegistryUrl);

  beforeEach(async () => {
    topics = await LetheTopics.create(kafka, 1);
    raw = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await raw.connect();
  });

  afterEach(async () => {
    await guard?.stop();
    await proxy.stop();
    await raw.disconnect();
    await topics.drop();
  });

  it('counts and skips a record that is not Avro, and goes on', async () => {
    await raw.send({ topic: topics.names.consentState, messages: [{ key: 'bad-1', value: Buffer.from('not avro at all') }] });
    await raw.send({ topic: topics.names.optOuts, messages: [{ key: 'bad-1', value: Buffer.from([0, 0, 0, 0]) }] });
    await topics.writeStates([{ key: 'good-1', state: stateOfKind('good-1', 0, 2) }]);
    const metrics = new Registry();
    guard = ConsentGuard.create({ kafka, schemaRegistryUrl: testEndpoints().schemaRegistryUrl, topicPrefix: topics.prefix, service: 'decode-test', metrics });
    await guard.start();
    await guard.ready(30_000);

    expect(guard.allowed('good-1', 'marketing')).toMatchObject({ allowed: true, reason: 'granted', version: 2 });
    expect(guard.allowed('bad-1', 'marketing')).toMatchObject({ allowed: false, reason: 'no_record' });
    const counted = await metrics.getSingleMetric('lethe_guard_undecodable_records_total')?.get();
    expect(counted?.values.map(({ labels, value }) => [labels.topic, value]).sort()).toEqual([
      [topics.names.optOuts, 1],
      [topics.names.consentState, 1],
    ].sort());
  });

  it('waits while the schema registry is unavailable, skipping nothing, and catches up once it answers', async () => {
    await topics.writeStates([{ key: 'waits-1', state: stateOfKind('waits-1', 1, 3) }]); // marketing withdrawn
    const registryUrl = await proxy.start();
    await proxy.setMode(503);
    const metrics = new Registry();
    guard = ConsentGuard.create({ kafka, schemaRegistryUrl: registryUrl, topicPrefix: topics.prefix, service: 'registry-outage-test', metrics });
    await guard.start();

    await waitFor(() => proxy.failed > 1, { description: 'the guard to meet the outage and retry' });
    await expect(guard.ready(1_000)).rejects.toThrow(/not ready after 1000 ms: .*consent\.state: 0 of 1 offsets consumed/);
    expect(guard.allowed('waits-1', 'marketing')).toMatchObject({ allowed: false, reason: 'not_ready' });

    await proxy.setMode('forward');
    await guard.ready(30_000);
    expect(guard.allowed('waits-1', 'marketing')).toEqual({ allowed: false, reason: 'withdrawn', version: 3, stale: false });
    const counted = await metrics.getSingleMetric('lethe_guard_undecodable_records_total')?.get();
    expect(counted?.values).toEqual([]);
  });
});
