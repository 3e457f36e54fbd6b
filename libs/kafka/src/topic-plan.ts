import { TopicNames } from '@lethe/contracts';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

/** What the settings ask for; durability left unset is chosen from the cluster's size. */
export interface TopicRequest {
  names: TopicNames;
  /** LETHE_TOPIC_PARTITIONS; unset: 6 for new topics, and existing ones are not compared. */
  partitions?: number;
  /** LETHE_REPLICATION_FACTOR; unset: 3 on three or more brokers, else one per broker. */
  replicationFactor?: number;
  /** LETHE_MIN_INSYNC_REPLICAS; unset: min(2, replication factor). */
  minInsyncReplicas?: number;
}

/** A topic as the cluster describes it. */
export interface ExistingTopic {
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string | undefined>;
}

export interface ClusterView {
  brokers: number;
  existing: Map<string, ExistingTopic>;
}

export interface TopicPlan {
  create: TopicSpec[];
  /** Settings Lethe cannot run on (records it keeps forever would be deleted); start-up stops. */
  refusals: string[];
  /** Settings that risk losing acknowledged writes on this cluster; start-up goes on. */
  warnings: string[];
}

const DEFAULT_PARTITIONS = 6;
/** From this many brokers on, a topic can keep a write through the loss of one broker. */
const PRODUCTION_BROKERS = 3;

/** The configs without which a topic would delete records Lethe keeps: checked on existing topics too. */
const KEPT_CONFIGS = {
  log: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' },
  state: { 'cleanup.policy': 'compact' },
  dlq: { 'cleanup.policy': 'delete', 'retention.ms': '-1' },
} as const;

/**
 * Lethe's topics (docs/adr/0003-event-envelope.md): the configs each must keep, and whether it is
 * keyed by subject (then it has the configured partition count, and keeps the one it has).
 */
function topicTable(names: TopicNames): { topic: string; keyedBySubject: boolean; kept: Record<string, string> }[] {
  return [
    // The source of truth: never compacted, never expired.
    { topic: names.consentLog, keyedBySubject: true, kept: KEPT_CONFIGS.log },
    { topic: names.consentState, keyedBySubject: true, kept: KEPT_CONFIGS.state },
    { topic: names.consentDlq, keyedBySubject: false, kept: KEPT_CONFIGS.dlq },
    // Kept forever too, so a new subscriber can read every change from the beginning.
    { topic: names.optOuts, keyedBySubject: true, kept: KEPT_CONFIGS.log },
    // Evidence: one partition, so checkpoints have one order; never compacted, never expired.
    { topic: names.consentAudit, keyedBySubject: false, kept: KEPT_CONFIGS.log },
  ];
}

/** Lethe's topics as they are created, with the configs they must have. */
export function letheTopics(names: TopicNames, partitions: number, replicationFactor: number, minInsyncReplicas: number): TopicSpec[] {
  const durable = { 'min.insync.replicas': String(minInsyncReplicas) };
  return topicTable(names).map(({ topic, keyedBySubject, kept }) => ({ topic, numPartitions: keyedBySubject ? partitions : 1, replicationFactor, configs: { ...durable, ...kept } }));
}

/**
 * Decides, from the settings and what the cluster holds, which topics to create, which existing
 * settings to refuse and which to warn about. Pure: the caller describes the cluster and acts.
 */
export function planTopics(request: TopicRequest, cluster: ClusterView): TopicPlan {
  const replicationFactor = request.replicationFactor ?? Math.min(PRODUCTION_BROKERS, cluster.brokers);
  const minInsyncReplicas = request.minInsyncReplicas ?? Math.min(2, replicationFactor);
  const specs = letheTopics(request.names, request.partitions ?? DEFAULT_PARTITIONS, replicationFactor, minInsyncReplicas);
  const missing = specs.filter((spec) => !cluster.existing.has(spec.topic));
  const refusals = durabilityRefusals(request, replicationFactor, minInsyncReplicas, missing.length > 0 ? cluster.brokers : undefined);
  const warnings: string[] = [];
  topicTable(request.names).forEach(({ topic, keyedBySubject, kept }, i) => {
    const existing = cluster.existing.get(topic);
    if (!existing) return;
    for (const [name, wanted] of Object.entries(kept)) {
      const actual = existing.configs[name];
      if (actual !== wanted) refusals.push(`${topic}: ${name} is ${actual ?? 'unset'}, expected ${wanted}`);
    }
    warnings.push(...topicWarnings(specs[i], existing, cluster.brokers, keyedBySubject ? request.partitions : undefined));
  });
  return { create: refusals.length > 0 ? [] : missing, refusals, warnings };
}

/** `brokers` is given only when topics are to be created: existing ones do not need them all up. */
function durabilityRefusals(request: TopicRequest, replicationFactor: number, minInsyncReplicas: number, brokers?: number): string[] {
  const refusals: string[] = [];
  if (request.replicationFactor !== undefined && brokers !== undefined && replicationFactor > brokers) {
    refusals.push(`LETHE_REPLICATION_FACTOR is ${replicationFactor}, but the cluster has ${brokers} broker(s) to create topics on`);
  }
  if (minInsyncReplicas > replicationFactor) {
    refusals.push(`LETHE_MIN_INSYNC_REPLICAS is ${minInsyncReplicas}, above the replication factor ${replicationFactor}: no write could succeed`);
  }
  return refusals;
}

function topicWarnings(spec: TopicSpec, existing: ExistingTopic, brokers: number, partitions: number | undefined): string[] {
  const warnings: string[] = [];
  if (partitions !== undefined && existing.partitions !== partitions) {
    warnings.push(
      `${spec.topic} has ${existing.partitions} partitions, LETHE_TOPIC_PARTITIONS asks for ${partitions}: ` +
        'the existing count is kept (changing it would move subjects to other partitions)',
    );
  }
  if (brokers < PRODUCTION_BROKERS) return warnings;
  if (existing.replicationFactor < PRODUCTION_BROKERS) {
    warnings.push(
      `${spec.topic}: replication factor is ${existing.replicationFactor} on a cluster of ${brokers} brokers; ` +
        'give it 3 replicas (kafka-reassign-partitions) so a broker lost does not lose acknowledged records',
    );
  }
  const minInsync = Number(existing.configs['min.insync.replicas'] ?? 1);
  if (minInsync < 2) {
    warnings.push(
      `${spec.topic}: min.insync.replicas is ${minInsync} on a cluster of ${brokers} brokers; ` +
        'set it to 2 (kafka-configs --alter) so every acknowledged write is on two brokers',
    );
  }
  return warnings;
}
