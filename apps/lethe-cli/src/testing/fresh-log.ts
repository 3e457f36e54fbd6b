import { Admin, Kafka, Producer } from 'kafkajs';
import { ConsentEvent, ConsentEventCodec, subjectsFor, TopicNames, topicsFor } from '@lethe/contracts';
import { ACKS_ALL, createSafeProducer, ensureTopics } from '@lethe/kafka';

/** What the specs need of @lethe/testing, which this folder may not import (apps use it in specs only). */
export interface LogKit {
  freshTopicSet: (admin: Admin) => { prefix: string; drop: () => Promise<void> };
  testEndpoints: () => { schemaRegistryUrl: string };
}

/** Lethe's topics under a fresh prefix, created as the apps create them (6 partitions), with a producer as Lethe's. */
export class FreshLog {
  readonly topics: TopicNames;
  readonly codec: ConsentEventCodec;

  private constructor(
    readonly admin: Admin,
    readonly producer: Producer,
    private readonly set: { prefix: string; drop: () => Promise<void> },
    kit: LogKit,
  ) {
    this.topics = topicsFor(set.prefix);
    this.codec = ConsentEventCodec.forRegistry(kit.testEndpoints().schemaRegistryUrl, subjectsFor(this.topics).consentLogValue);
  }

  static async open(kit: LogKit, kafka: Kafka): Promise<FreshLog> {
    const admin = kafka.admin();
    const producer = createSafeProducer(kafka);
    await Promise.all([admin.connect(), producer.connect()]);
    const log = new FreshLog(admin, producer, kit.freshTopicSet(admin), kit);
    await ensureTopics(admin, { names: log.topics, partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
    return log;
  }

  /** The LETHE_TOPIC_PREFIX of these topics. */
  get prefix(): string {
    return this.set.prefix;
  }

  /** Appends the events to consent.log in one request; returns where they landed. */
  append(events: ConsentEvent[]) {
    return Promise.all(events.map(async (e) => ({ key: e.subject_id, value: await this.codec.encode(e) }))).then((messages) =>
      this.producer.send({ topic: this.topics.consentLog, acks: ACKS_ALL, messages }),
    );
  }

  async ends(topic: string): Promise<Map<number, bigint>> {
    return new Map((await this.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  }

  async close(): Promise<void> {
    await this.set.drop();
    await Promise.all([this.admin.disconnect(), this.producer.disconnect()]);
  }
}
