import { Admin, Kafka } from 'kafkajs';
import { TOPICS } from '@lethe/contracts';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface TopicOptions {
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
}

/** Lethe's topics and the configs they must have (docs/adr/0003-event-envelope.md). */
export function letheTopics({ partitions, replicationFactor, minInsyncReplicas }: TopicOptions): TopicSpec[] {
  const durable = { 'min.insync.replicas': String(minInsyncReplicas) };
  return [
    {
      topic: TOPICS.consentLog,
      numPartitions: partitions,
      replicationFactor,
      // The source of truth: never compacted, never expired.
      configs: { ...durable, 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' },
    },
    {
      topic: TOPICS.consentState,
      numPartitions: partitions,
      replicationFactor,
      configs: { ...durable, 'cleanup.policy': 'compact' },
    },
    {
      topic: TOPICS.consentDlq,
      numPartitions: 1,
      replicationFactor,
      configs: { ...durable, 'cleanup.policy': 'delete', 'retention.ms': '-1' },
    },
  ];
}

/**
 * Creates missing topics with their configs and checks existing ones. A topic that exists with
 * a different value for one of our configs is an error, never silently accepted: a compacted
 * or expiring consent.log would lose history.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<{ created: string[] }> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.numPartitions,
        replicationFactor: spec.replicationFactor,
        configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  await assertTopicConfigs(admin, specs);
  return { created: missing.map((spec) => spec.topic) };
}

/** `ensureTopics` with an admin client of its own, for apps that need none afterwards. */
export async function ensureTopicsWith(kafka: Kafka, specs: TopicSpec[]): Promise<{ created: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
}

async function assertTopicConfigs(admin: Admin, specs: TopicSpec[]): Promise<void> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((spec) => ({ type: 2 /* TOPIC */, name: spec.topic })),
  });
  const problems: string[] = [];
  for (const spec of specs) {
    const actual = resources.find((resource) => resource.resourceName === spec.topic);
    for (const [name, wanted] of Object.entries(spec.configs)) {
      const value = actual?.configEntries.find((entry) => entry.configName === name)?.configValue;
      if (value !== wanted) problems.push(`${spec.topic}: ${name} is ${value ?? 'unset'}, expected ${wanted}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`existing topics do not have the configs Lethe needs:\n  ${problems.join('\n  ')}`);
  }
}
