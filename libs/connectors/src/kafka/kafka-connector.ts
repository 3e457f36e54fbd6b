import type { Kafka, Message, Producer } from 'kafkajs';
import { endpointsFrom } from '@lethe/config';
import { ACKS_ALL, createKafka, createSafeProducer, GroupCommit } from '@lethe/kafka';
import { Connector, ErasureOutcome, ErasureTarget, noIdentityForMatch } from '../connector';
import { fillTemplate, missingIdentityTypes, parseTemplate, TemplatePart } from '../cache/key-template';
import { KafkaConnectorConfig, validateKafkaConfig } from './kafka-config';
import { toConnectorError, withTimeout } from './kafka-errors';
import { checkTopics } from './topic-check';

export const DEFAULT_TIMEOUT_MS = 30_000;

interface TopicKey {
  topic: string;
  parts: TemplatePart[];
}

/**
 * Compacted topics, erased by producing a tombstone (null value) under each of the subject's
 * keys; compaction then removes every earlier record with that key.
 *
 * No ledger: a tombstone is idempotent by nature. Sending it again erases nothing more and costs
 * one small record, so a repeated request simply sends again and reports `alreadyDone: false`
 * with the same counts. A ledger would need a store of its own on a system that has none.
 *
 * The topics are checked (present, compacted) before the first erase or dry run, so a
 * misconfigured topic fails loudly instead of reporting tombstones that erase nothing.
 */
export class KafkaConnector implements Connector {
  readonly system: string;
  private readonly config: KafkaConnectorConfig;
  private readonly kafka: Kafka;
  private readonly keys: TopicKey[];
  private readonly timeoutMs: number;
  private producer: { producer: Producer; connected: Promise<void> } | null = null;
  /** Per topic: the tombstones of steps running at once go out together, one request at a time (acks=all). */
  private readonly commits = new Map<string, GroupCommit>();
  private checked: Promise<void> | null = null;

  /**
   * Validates `config` (throws KafkaConfigError naming each bad key) and connects lazily.
   * `letheBrokers` is used when the configuration names none.
   */
  constructor(config: unknown, letheBrokers: string[] = endpointsFrom(process.env).kafkaBrokers) {
    this.config = validateKafkaConfig(config);
    this.system = this.config.system;
    this.timeoutMs = this.config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.keys = this.config.topics.map(({ topic, key }) => ({ topic, parts: parseTemplate(key) }));
    this.kafka = createKafka({ brokers: this.config.brokers ?? letheBrokers, clientId: `lethe-connector-${this.system}` });
  }

  async testConnection(): Promise<void> {
    await this.run('test connection', () => this.checkTopics());
  }

  erase(target: ErasureTarget): Promise<ErasureOutcome> {
    return this.run('erase', async () => {
      await this.checkOnce();
      const tombstones = this.tombstonesFor(target, 'erase');
      await withTimeout(this.send(tombstones), this.timeoutMs).catch(async (error) => {
        // The idempotent producer retries a send without end; stop it. A send that still lands
        // later is a duplicate tombstone, which is harmless.
        await this.resetProducer();
        throw error;
      });
      return outcomeOf(tombstones);
    });
  }

  dryRun(target: ErasureTarget): Promise<ErasureOutcome> {
    return this.run('dry run', async () => {
      await this.checkOnce();
      return outcomeOf(this.tombstonesFor(target, 'dry run'));
    });
  }

  async close(): Promise<void> {
    await this.resetProducer();
  }

  /**
   * Topic → the subject's keys in it. A topic listed with two key templates gets both. All
   * templates or none: one that needs an identity the request lacks fails the step before any
   * tombstone is sent, rather than reporting the topic erased.
   */
  private tombstonesFor(target: ErasureTarget, doing: string): Map<string, string[]> {
    const missing = missingIdentityTypes(this.keys.map(({ parts }) => parts), target);
    if (missing.length > 0) throw noIdentityForMatch('kafka', this.system, doing, missing, target);
    const byTopic = new Map<string, string[]>();
    for (const { topic, parts } of this.keys) {
      byTopic.set(topic, [...new Set([...(byTopic.get(topic) ?? []), ...fillTemplate(parts, target)])]);
    }
    return byTopic;
  }

  private async send(tombstones: Map<string, string[]>): Promise<void> {
    for (const [topic, keys] of tombstones) {
      const messages: Message[] = keys.map((key) => ({ key, value: null }));
      await this.commitTo(topic).append(messages);
    }
  }

  private commitTo(topic: string): GroupCommit {
    let commit = this.commits.get(topic);
    if (!commit) {
      commit = new GroupCommit(async (messages) => void (await (await this.connectedProducer()).send({ topic, acks: ACKS_ALL, messages })));
      this.commits.set(topic, commit);
    }
    return commit;
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = createSafeProducer(this.kafka);
      const connected = producer.connect();
      this.producer = { producer, connected };
      connected.catch(() => this.resetProducer(producer));
    }
    const { producer, connected } = this.producer;
    return connected.then(() => producer);
  }

  /** Drops the producer (all of them when none is named), without waiting for a pending connect. */
  private async resetProducer(which?: Producer): Promise<void> {
    const current = this.producer;
    if (!current || (which && current.producer !== which)) return;
    this.producer = null;
    await current.producer.disconnect().catch(() => undefined);
  }

  /** Checks the topics before the first erase; a failed check is repeated on the next call. */
  private checkOnce(): Promise<void> {
    if (!this.checked) {
      const checking = this.checkTopics();
      this.checked = checking;
      checking.catch(() => {
        if (this.checked === checking) this.checked = null;
      });
    }
    return this.checked;
  }

  private async checkTopics(): Promise<void> {
    const admin = this.kafka.admin();
    try {
      // No timeout of ours here: the admin's retries are bounded (about 6 s against a refused
      // port), unlike the idempotent producer's, and an abandoned connect would keep retrying.
      await admin.connect();
      await checkTopics(
        admin,
        this.keys.map(({ topic }) => topic),
        this.system,
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private async run<T>(doing: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toConnectorError(error, this.system, doing);
    }
  }
}

function outcomeOf(tombstones: Map<string, string[]>): ErasureOutcome {
  const counts = Object.fromEntries([...tombstones].map(([topic, keys]) => [topic, keys.length]));
  return { action: 'tombstone', counts, strategies: {}, legalHold: null, alreadyDone: false };
}
