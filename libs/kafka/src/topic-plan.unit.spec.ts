import { topicsFor } from '@lethe/contracts';
import { ExistingTopic, planTopics, TopicRequest } from './topic-plan';

const names = topicsFor('');
const request: TopicRequest = { names };

/** The topics as Lethe creates them on a cluster of `replicas` or more brokers. */
function asCreated(replicas: number, minInsync: number, partitions = 6): Map<string, ExistingTopic> {
  const durable = { 'min.insync.replicas': String(minInsync) };
  return new Map([
    [names.consentLog, { partitions, replicationFactor: replicas, configs: { ...durable, 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' } }],
    [names.consentState, { partitions, replicationFactor: replicas, configs: { ...durable, 'cleanup.policy': 'compact' } }],
    [names.consentDlq, { partitions: 1, replicationFactor: replicas, configs: { ...durable, 'cleanup.policy': 'delete', 'retention.ms': '-1' } }],
    [names.optOuts, { partitions, replicationFactor: replicas, configs: { ...durable, 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' } }],
    [names.consentAudit, { partitions: 1, replicationFactor: replicas, configs: { ...durable, 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' } }],
  ]);
}

function withLogConfig(existing: Map<string, ExistingTopic>, configs: Record<string, string>) {
  const log = existing.get(names.consentLog) as ExistingTopic;
  existing.set(names.consentLog, { ...log, configs: { ...log.configs, ...configs } });
  return existing;
}

describe('planTopics', () => {
  it('creates replication 3 and min.insync.replicas 2 on three or more brokers unless told otherwise', () => {
    const plan = planTopics(request, { brokers: 5, existing: new Map() });
    expect(plan.create.map((spec) => [spec.topic, spec.numPartitions, spec.replicationFactor, spec.configs['min.insync.replicas']])).toEqual([
      ['consent.log', 6, 3, '2'],
      ['consent.state', 6, 3, '2'],
      ['consent.dlq', 1, 3, '2'],
      ['consent.opt-outs', 6, 3, '2'],
      ['consent.audit', 1, 3, '2'],
    ]);
    expect(plan.create[4].configs).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' });
    expect(plan.create[0].configs).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' });
    expect(plan.create[1].configs).toMatchObject({ 'cleanup.policy': 'compact' });
    expect(plan).toMatchObject({ refusals: [], warnings: [] });
  });

  it('creates one replica on a single broker, and follows explicit settings', () => {
    expect(planTopics(request, { brokers: 1, existing: new Map() }).create[0]).toMatchObject({ replicationFactor: 1, configs: { 'min.insync.replicas': '1' } });
    const told = planTopics({ names, partitions: 12, replicationFactor: 2, minInsyncReplicas: 1 }, { brokers: 3, existing: new Map() });
    expect(told.create[0]).toMatchObject({ numPartitions: 12, replicationFactor: 2, configs: { 'min.insync.replicas': '1' } });
  });

  it('creates only what is missing and accepts topics as Lethe made them', () => {
    const existing = asCreated(3, 2);
    existing.delete(names.consentDlq);
    expect(planTopics(request, { brokers: 3, existing })).toEqual({ create: [expect.objectContaining({ topic: 'consent.dlq' })], refusals: [], warnings: [] });
  });

  it.each([
    [{ 'retention.ms': '604800000' }, 'consent.log: retention.ms is 604800000, expected -1'],
    [{ 'retention.bytes': '1073741824' }, 'consent.log: retention.bytes is 1073741824, expected -1'],
    [{ 'cleanup.policy': 'compact' }, 'consent.log: cleanup.policy is compact, expected delete'],
    [{ 'cleanup.policy': 'compact,delete' }, 'consent.log: cleanup.policy is compact,delete, expected delete'],
  ])('refuses a consent.log that would delete facts (%j), naming the setting, and creates nothing', (configs, refusal) => {
    const existing = withLogConfig(asCreated(1, 1), configs);
    existing.delete(names.consentDlq);
    expect(planTopics(request, { brokers: 1, existing })).toMatchObject({ create: [], refusals: [refusal] });
  });

  it('refuses a consent.state that is not compacted', () => {
    const existing = asCreated(1, 1);
    existing.set(names.consentState, { ...(existing.get(names.consentState) as ExistingTopic), configs: { 'cleanup.policy': 'delete' } });
    expect(planTopics(request, { brokers: 1, existing }).refusals).toEqual(['consent.state: cleanup.policy is delete, expected compact']);
  });

  it('warns, naming the setting, when three or more brokers hold the topics with fewer replicas or min.insync.replicas below 2', () => {
    const plan = planTopics(request, { brokers: 3, existing: asCreated(1, 1) });
    expect(plan.refusals).toEqual([]);
    expect(plan.warnings).toHaveLength(10);
    expect(plan.warnings[0]).toMatch(/^consent\.log: replication factor is 1 on a cluster of 3 brokers/);
    expect(plan.warnings[1]).toMatch(/^consent\.log: min\.insync\.replicas is 1 on a cluster of 3 brokers/);
    expect(planTopics(request, { brokers: 3, existing: asCreated(3, 2) }).warnings).toEqual([]);
    expect(planTopics(request, { brokers: 1, existing: asCreated(1, 1) }).warnings).toEqual([]);
  });

  it('warns when existing topics have other partitions than LETHE_TOPIC_PARTITIONS asks for, and keeps them', () => {
    const plan = planTopics({ names, partitions: 12 }, { brokers: 1, existing: asCreated(1, 1, 6) });
    expect(plan.warnings).toEqual([
      expect.stringMatching(/^consent\.log has 6 partitions, LETHE_TOPIC_PARTITIONS asks for 12/),
      expect.stringMatching(/^consent\.state has 6 partitions, LETHE_TOPIC_PARTITIONS asks for 12/),
      expect.stringMatching(/^consent\.opt-outs has 6 partitions, LETHE_TOPIC_PARTITIONS asks for 12/),
    ]);
    expect(planTopics(request, { brokers: 1, existing: asCreated(1, 1, 12) }).warnings).toEqual([]);
  });

  it('refuses durability settings the cluster cannot give', () => {
    expect(planTopics({ names, replicationFactor: 3 }, { brokers: 1, existing: new Map() }).refusals).toEqual([
      'LETHE_REPLICATION_FACTOR is 3, but the cluster has 1 broker(s) to create topics on',
    ]);
    // Existing topics need no broker count: a broker down for maintenance does not stop start-up.
    expect(planTopics({ names, replicationFactor: 3 }, { brokers: 2, existing: asCreated(3, 2) }).refusals).toEqual([]);
    expect(planTopics({ names, minInsyncReplicas: 2 }, { brokers: 1, existing: new Map() }).refusals).toEqual([
      'LETHE_MIN_INSYNC_REPLICAS is 2, above the replication factor 1: no write could succeed',
    ]);
  });
});
