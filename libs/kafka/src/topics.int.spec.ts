import { Admin } from 'kafkajs';
import { TOPICS } from '@lethe/contracts';
import { testKafka, uniqueName } from '@lethe/testing';
import { ensureTopics, letheTopics, TopicSpec } from '.';

describe('ensureTopics', () => {
  let admin: Admin;
  beforeAll(async () => {
    admin = testKafka('topics-test').admin();
    await admin.connect();
  });
  afterAll(() => admin.disconnect());

  /** Lethe's real specs under fresh names, so tests never touch the real topics. */
  function freshSpecs(): TopicSpec[] {
    const prefix = uniqueName('test');
    return letheTopics({ partitions: 3, replicationFactor: 1, minInsyncReplicas: 1 }).map((spec) => ({
      ...spec,
      topic: `${prefix}.${spec.topic}`,
    }));
  }

  it('creates the topics with their configs, and a second call changes nothing', async () => {
    const specs = freshSpecs();
    expect((await ensureTopics(admin, specs)).created).toHaveLength(3);
    expect((await ensureTopics(admin, specs)).created).toEqual([]);

    const log = specs.find((spec) => spec.topic.endsWith(TOPICS.consentLog)) as TopicSpec;
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: log.topic }] });
    const config = Object.fromEntries(resources[0].configEntries.map((entry) => [entry.configName, entry.configValue]));
    expect(config).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '-1', 'min.insync.replicas': '1' });
    const metadata = await admin.fetchTopicMetadata({ topics: [log.topic] });
    expect(metadata.topics[0].partitions).toHaveLength(3);
  });

  it('refuses an existing topic whose configs would lose history', async () => {
    const [log] = freshSpecs();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: log.topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    await expect(ensureTopics(admin, [log])).rejects.toThrow(/cleanup.policy is compact, expected delete/);
  });
});
