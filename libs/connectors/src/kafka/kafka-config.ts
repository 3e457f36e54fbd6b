import { ConnectorError } from '../connector';
import { parseTemplate, TemplateError } from '../cache/key-template';

/**
 * Configuration of compacted topics whose records about a subject are erased by a tombstone
 * (a record with the same key and a null value; compaction then drops every earlier value).
 *
 * ```yaml
 * system: profile-topics
 * brokers: [kafka-1:9092, kafka-2:9092]     # optional; Lethe's own brokers when absent
 * timeoutMs: 30000                          # optional; wait for acks=all of the tombstones
 * topics:
 *   - { topic: customer.profiles, key: "{subjectId}" }
 *   - { topic: billing.accounts, key: "{identity:customer_id}" }   # none sent without one
 *   - { topic: crm.contacts, key: "contact-{identity:email}" }
 * ```
 *
 * Keys are sent as UTF-8 strings and partitioned by the default (murmur2) partitioner, so a
 * tombstone reaches the partition of the original record when that was produced the same way
 * (the Java client's default). Keys serialized otherwise (Avro, JSON) cannot be matched here.
 */
export interface KafkaConnectorConfig {
  system: string;
  /** Bootstrap brokers of the cluster holding the topics; Lethe's own when absent. */
  brokers?: string[];
  /** Milliseconds to wait for the tombstones' acknowledgement before failing (retryable). */
  timeoutMs?: number;
  topics: KafkaTopicConfig[];
}

export interface KafkaTopicConfig {
  topic: string;
  /** Key template, as for the cache connector: `{subjectId}`, `{identity:<type>}`, literals. */
  key: string;
}

/** A configuration the connector refuses; each issue starts with the key path it is about. */
export class KafkaConfigError extends ConnectorError {
  constructor(readonly issues: string[]) {
    super(`invalid kafka connector configuration: ${issues.join('; ')}`, false);
  }
}

/** Kafka's own rule for topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const BROKER = /^[^\s:/]+:\d{1,5}$/;
const TOP_KEYS = ['system', 'brokers', 'timeoutMs', 'topics'];

/** Checks `raw` against `KafkaConnectorConfig`, collecting every issue before refusing. */
export function validateKafkaConfig(raw: unknown): KafkaConnectorConfig {
  if (!isObject(raw)) throw new KafkaConfigError(['(root): must be an object']);
  const issues: string[] = [];
  const fail = (path: string, problem: string) => issues.push(`${path}: ${problem}`);

  unknownKeys(raw, TOP_KEYS, '', fail);
  if (typeof raw.system !== 'string' || raw.system.trim() === '') fail('system', 'must be a non-empty string');
  if (raw.brokers !== undefined) {
    if (!Array.isArray(raw.brokers) || raw.brokers.length === 0) fail('brokers', 'must be a non-empty list of host:port');
    else raw.brokers.forEach((broker: unknown, i) => {
      if (typeof broker !== 'string' || !BROKER.test(broker)) fail(`brokers[${i}]`, 'must be host:port');
    });
  }
  if (raw.timeoutMs !== undefined && !(Number.isInteger(raw.timeoutMs) && (raw.timeoutMs as number) > 0)) {
    fail('timeoutMs', 'must be a positive integer');
  }

  const topics: KafkaTopicConfig[] = [];
  if (!Array.isArray(raw.topics) || raw.topics.length === 0) fail('topics', 'must be a non-empty list of { topic, key }');
  else raw.topics.forEach((entry: unknown, i) => {
    const path = `topics[${i}]`;
    if (!isObject(entry)) return fail(path, 'must be an object { topic, key }');
    unknownKeys(entry, ['topic', 'key'], path, fail);
    if (typeof entry.topic !== 'string' || !TOPIC_NAME.test(entry.topic)) {
      fail(`${path}.topic`, 'must be a topic name (letters, digits, ".", "_", "-"; at most 249)');
    }
    if (typeof entry.key !== 'string') fail(`${path}.key`, 'must be a key template string');
    else {
      try {
        parseTemplate(entry.key);
      } catch (error) {
        if (!(error instanceof TemplateError)) throw error;
        fail(`${path}.key`, error.message);
      }
    }
    const duplicate = topics.findIndex((t) => t.topic === entry.topic && t.key === entry.key);
    if (duplicate >= 0) fail(path, `same topic and key as topics[${duplicate}]`);
    topics.push({ topic: entry.topic as string, key: entry.key as string });
  });

  if (issues.length > 0) throw new KafkaConfigError(issues);
  return {
    system: raw.system as string,
    ...(raw.brokers !== undefined && { brokers: raw.brokers as string[] }),
    ...(raw.timeoutMs !== undefined && { timeoutMs: raw.timeoutMs as number }),
    topics,
  };
}

function unknownKeys(raw: Record<string, unknown>, known: string[], path: string, fail: (path: string, problem: string) => void) {
  for (const key of Object.keys(raw)) if (!known.includes(key)) fail(path ? `${path}.${key}` : key, 'unknown key');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
