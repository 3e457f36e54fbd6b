import { Logger } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { ConfigError } from '@lethe/config';
import { ClusterView, ExistingTopic, planTopics, TopicRequest } from './topic-plan';

const TOPIC_RESOURCE = 2;

/**
 * Creates Lethe's missing topics and checks the existing ones (topic-plan.ts decides). A setting
 * that would delete records Lethe keeps stops start-up, naming it; a durability setting weaker
 * than the cluster allows is logged as a warning, naming it, and returned.
 */
export async function ensureTopics(admin: Admin, request: TopicRequest): Promise<{ created: string[]; warnings: string[] }> {
  const plan = planTopics(request, await describeLetheTopics(admin, request));
  refuse(plan.refusals);
  if (plan.create.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: plan.create.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.numPartitions,
        replicationFactor: spec.replicationFactor,
        configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value })),
      })),
    });
    // Another app may have created one first, with other configs: check what now exists.
    refuse(planTopics(request, await describeLetheTopics(admin, request)).refusals);
  }
  const logger = new Logger('topics');
  for (const warning of plan.warnings) logger.warn(warning);
  return { created: plan.create.map((spec) => spec.topic), warnings: plan.warnings };
}

/** `ensureTopics` with an admin client of its own, for apps that need none afterwards. */
export async function ensureTopicsWith(kafka: Kafka, request: TopicRequest): Promise<{ created: string[]; warnings: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await ensureTopics(admin, request);
  } finally {
    await admin.disconnect();
  }
}

function refuse(refusals: string[]): void {
  if (refusals.length > 0) {
    throw new ConfigError(`Lethe's topics have settings it refuses to run on (they would lose records):\n  ${refusals.join('\n  ')}`);
  }
}

/** The cluster's size and Lethe's topics in it: partitions, replicas and every effective config. */
async function describeLetheTopics(admin: Admin, request: TopicRequest): Promise<ClusterView> {
  const { brokers } = await admin.describeCluster();
  const present = new Set(await admin.listTopics());
  const names = Object.values(request.names).filter((topic) => present.has(topic));
  const existing = new Map<string, ExistingTopic>();
  if (names.length === 0) return { brokers: brokers.length, existing };
  const [{ topics }, { resources }] = await Promise.all([
    admin.fetchTopicMetadata({ topics: names }),
    admin.describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type: TOPIC_RESOURCE, name })) }),
  ]);
  for (const { name, partitions } of topics) {
    const entries = resources.find((resource) => resource.resourceName === name)?.configEntries ?? [];
    existing.set(name, {
      partitions: partitions.length,
      replicationFactor: Math.min(...partitions.map((partition) => partition.replicas.length)),
      configs: Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue])),
    });
  }
  return { brokers: brokers.length, existing };
}
