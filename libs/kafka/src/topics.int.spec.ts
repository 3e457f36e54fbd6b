import { Admin } from 'kafkajs';
import { TopicNames, topicsFor } from '@lethe/contracts';
import { testKafka, uniqueName } from '@lethe/testing';
import { ensureTopics } from '.';

describe('ensureTopics', () => {
  let admin: Admin;
  beforeAll(async () => {
    admin = testKafka('topics-test').admin();
    await admin.connect();
  });
  afterAll(() => admin.disconnect());

  /** Lethe's topics under a fresh prefix, so tests never touch the real ones. */
  const freshNames = (): TopicNames => topicsFor(`${uniqueName('test')}.`);

  async function configsOf(topic: string): Promise<Record<string, string>> {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic }] });
    return Object.fromEntries(resources[0].configEntries.map((entry) => [entry.configName, entry.configValue]));
  }

  it('creates the topics with their configs on the cluster it finds, and a second call changes nothing', async () => {
    const names = freshNames();
    expect((await ensureTopics(admin, { names, partitions: 3 })).created).toEqual([names.consentLog, names.consentState, names.consentDlq, names.optOuts, names.consentAudit]);
    expect(await ensureTopics(admin, { names, partitions: 3 })).toEqual({ created: [], warnings: [] });

    // The local stack is one broker: one replica, min.insync.replicas 1.
    expect(await configsOf(names.consentLog)).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1', 'min.insync.replicas': '1' });
    expect(await configsOf(names.consentState)).toMatchObject({ 'cleanup.policy': 'compact' });
    expect(await configsOf(names.optOuts)).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' });
    expect(await configsOf(names.consentAudit)).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' });
    expect((await admin.fetchTopicMetadata({ topics: [names.consentAudit] })).topics[0].partitions).toHaveLength(1);
    const metadata = await admin.fetchTopicMetadata({ topics: [names.consentLog] });
    expect(metadata.topics[0].partitions).toHaveLength(3);
    expect(metadata.topics[0].partitions[0].replicas).toHaveLength(1);
  });

  /** A consent.log made by hand with one setting of its own, as an operator might have. */
  async function consentLogWith(name: string, value: string): Promise<TopicNames> {
    const names = freshNames();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: names.consentLog, numPartitions: 1, configEntries: [{ name, value }] }] });
    return names;
  }

  it('refuses a consent.log whose retention would delete facts, naming retention.ms, and creates nothing', async () => {
    const names = await consentLogWith('retention.ms', '604800000');
    await expect(ensureTopics(admin, { names })).rejects.toThrow(`${names.consentLog}: retention.ms is 604800000, expected -1`);
    expect(await admin.listTopics()).not.toContain(names.consentState);
  });

  it('refuses a compacted consent.log, naming cleanup.policy', async () => {
    const names = await consentLogWith('cleanup.policy', 'compact');
    await expect(ensureTopics(admin, { names })).rejects.toThrow(`${names.consentLog}: cleanup.policy is compact, expected delete`);
  });

  it('warns about partitions that differ from LETHE_TOPIC_PARTITIONS, and keeps them', async () => {
    const names = freshNames();
    await ensureTopics(admin, { names, partitions: 2 });
    const { warnings } = await ensureTopics(admin, { names, partitions: 4 });
    expect(warnings).toEqual([expect.stringContaining(`${names.consentLog} has 2 partitions, LETHE_TOPIC_PARTITIONS asks for 4`), expect.any(String), expect.any(String)]);
    expect((await admin.fetchTopicMetadata({ topics: [names.consentLog] })).topics[0].partitions).toHaveLength(2);
  });
});
