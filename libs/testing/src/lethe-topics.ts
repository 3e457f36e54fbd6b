import { Admin, Kafka, Partitioners, Producer } from 'kafkajs';
import { ConsentStateCodec, OptOutNotice, OptOutNoticeCodec, subjectsFor, TopicNames, topicsFor } from '@lethe/contracts';
import { createLetheTopics, StateRecord, writeNotices, writeStateRecords } from './consent-states';
import { freshTopicSet, testEndpoints } from './kafka';

/**
 * Lethe's topics under a fresh prefix, created as the apps create them, with a producer that
 * writes consent.state records and notices the way the projector does. For a guard to read.
 */
export class LetheTopics {
  readonly names: TopicNames;
  private readonly states: ConsentStateCodec;
  private readonly notices: OptOutNoticeCodec;

  private constructor(
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly set: ReturnType<typeof freshTopicSet>,
  ) {
    this.names = topicsFor(set.prefix);
    const subjects = subjectsFor(this.names);
    this.states = ConsentStateCodec.forRegistry(testEndpoints().schemaRegistryUrl, subjects.consentStateValue);
    this.notices = OptOutNoticeCodec.forRegistry(testEndpoints().schemaRegistryUrl, subjects.optOutsValue);
  }

  static async create(kafka: Kafka, partitions = 3): Promise<LetheTopics> {
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    const topics = new LetheTopics(admin, producer, freshTopicSet(admin));
    await createLetheTopics(admin, topics.names, partitions);
    return topics;
  }

  /** The LETHE_TOPIC_PREFIX of these topics. */
  get prefix(): string {
    return this.set.prefix;
  }

  writeStates(records: StateRecord[]): Promise<void> {
    return writeStateRecords(this.producer, this.states, this.names.consentState, records);
  }

  writeNotices(notices: OptOutNotice[]): Promise<void> {
    return writeNotices(this.producer, this.notices, this.names.optOuts, notices);
  }

  /** Deletes the topics and disconnects. */
  async drop(): Promise<void> {
    await this.set.drop();
    await Promise.all([this.admin.disconnect(), this.producer.disconnect()]);
  }
}
