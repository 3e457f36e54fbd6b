import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Admin, Kafka, KafkaMessage, Producer, RecordMetadata } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { SubjectState } from '@lethe/consent-domain';
import { ConsentEvent, ConsentEventCodec, ConsentStateCodec, HEADERS, OptOutNotice, OptOutNoticeCodec, subjectsFor, TopicNames, topicsFor } from '@lethe/contracts';
import { ACKS_ALL, createSafeProducer, ensureTopics } from '@lethe/kafka';
import { toConsentState } from '@lethe/projection';

/** What the harness needs of @lethe/testing, which apps may import in specs only: specs pass it in. */
export interface TestKit {
  freshDatabase: () => Promise<FreshDatabase>;
  freshTopicSet: (admin: Admin) => { prefix: string; drop: () => Promise<void> };
  testEndpoints: () => { schemaRegistryUrl: string };
  uniqueName: (prefix: string) => string;
  waitFor: <T>(check: () => T | undefined | false | Promise<T | undefined | false>, options: { description: string; timeoutMs?: number }) => Promise<T>;
}

interface FreshDatabase {
  db: DataSource;
  schema: string;
  drop: () => Promise<void>;
}

/**
 * The projector as users run it, as separate processes of one group folding into one schema.
 * Each harness has topics of its own (a fresh LETHE_TOPIC_PREFIX): comparisons with a replay of
 * the whole log need a log no other test writes to.
 */
export class ProjectorHarness {
  readonly codec: ConsentEventCodec;
  readonly stateCodec: ConsentStateCodec;
  readonly noticeCodec: OptOutNoticeCodec;

  private constructor(
    private readonly kit: TestKit,
    private readonly kafka: Kafka,
    private readonly topicSet: { prefix: string; drop: () => Promise<void> },
    readonly topics: TopicNames,
    readonly admin: Admin,
    readonly producer: Producer,
    readonly database: FreshDatabase,
    readonly groupId: string,
  ) {
    const { schemaRegistryUrl } = kit.testEndpoints();
    this.codec = ConsentEventCodec.forRegistry(schemaRegistryUrl, subjectsFor(topics).consentLogValue);
    this.stateCodec = ConsentStateCodec.forRegistry(schemaRegistryUrl, subjectsFor(topics).consentStateValue);
    this.noticeCodec = OptOutNoticeCodec.forRegistry(schemaRegistryUrl, subjectsFor(topics).optOutsValue);
  }

  /** Topics of its own, a producer and a fresh schema; `close()` in afterAll. */
  static async open(kit: TestKit, kafka: Kafka, groupId: string): Promise<ProjectorHarness> {
    const admin = kafka.admin();
    await admin.connect();
    const topicSet = kit.freshTopicSet(admin);
    const topics = topicsFor(topicSet.prefix);
    await ensureTopics(admin, { names: topics, partitions: 6, replicationFactor: 1, minInsyncReplicas: 1 });
    const producer = createSafeProducer(kafka);
    await producer.connect();
    return new ProjectorHarness(kit, kafka, topicSet, topics, admin, producer, await kit.freshDatabase(), groupId);
  }

  /** The LETHE_TOPIC_PREFIX of this harness's topics. */
  get prefix(): string {
    return this.topicSet.prefix;
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.topicSet.drop();
    await this.admin.disconnect();
    await this.database.drop();
  }

  private get db(): DataSource {
    return this.database.db;
  }

  /** Appends the events in one request; returns where each partition's first one landed. */
  async produce(events: ConsentEvent[]): Promise<RecordMetadata[]> {
    const messages = await Promise.all(events.map(async (e) => ({ key: e.subject_id, value: await this.codec.encode(e) })));
    return this.producer.send({ topic: this.topics.consentLog, acks: ACKS_ALL, messages });
  }

  /** Starts `main.ts` with the suite's topics, schema and group; `output` collects its stdout when given. */
  spawn(env: Record<string, string> = {}, output?: { text: string }): ChildProcess {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, '../main.ts')], {
      cwd: resolve(__dirname, '../../../..'),
      env: { ...process.env, LETHE_TOPIC_PREFIX: this.topicSet.prefix, LETHE_DB_SCHEMA: this.database.schema, LETHE_PROJECTOR_GROUP: this.groupId, LETHE_PROJECTOR_MAX_BATCH: '20', ...env },
      stdio: ['ignore', output ? 'pipe' : 'ignore', 'inherit'],
    });
    child.stdout?.on('data', (chunk) => output && (output.text += chunk));
    return child;
  }

  async storedOffsets(db: Pick<DataSource, 'query'> = this.db): Promise<Map<number, bigint>> {
    const rows = await db.query(`select partition, next_offset from consumer_offsets where group_id = $1`, [this.groupId]);
    return new Map(rows.map((r: { partition: number; next_offset: string }) => [r.partition, BigInt(r.next_offset)]));
  }

  /** The stored offsets and every subject's state, read at one moment while the projector may run on. */
  async snapshot(): Promise<{ offsets: Map<number, bigint>; rows: { subject_id: string; state: SubjectState }[] }> {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      return { offsets: await this.storedOffsets(tx), rows: await tx.query(`select subject_id, state from subject_state`) };
    });
  }

  async endOffsets(): Promise<Map<number, bigint>> {
    return new Map((await this.admin.fetchTopicOffsets(this.topics.consentLog)).map((p) => [p.partition, BigInt(p.high)]));
  }

  /**
   * Waits until the projector has applied everything on the log, including the completions it
   * appends itself: the end offsets must stop moving while its stored offsets equal them.
   */
  async caughtUp(): Promise<Map<number, bigint>> {
    for (;;) {
      const ends = await this.endOffsets();
      await this.kit.waitFor(
        async () => {
          const stored = await this.storedOffsets();
          return [...ends].every(([p, end]) => end === 0n || (stored.get(p) ?? 0n) >= end);
        },
        { description: 'the projector to reach the end of the log', timeoutMs: 120_000 },
      );
      const now = await this.endOffsets();
      const stored = await this.storedOffsets();
      if ([...now].every(([p, end]) => end === 0n || stored.get(p) === end)) return now;
    }
  }

  /** Everything on consent.log up to `ends`, by partition, in offset order. */
  async readLog(ends: Map<number, bigint>): Promise<Map<number, KafkaMessage[]>> {
    const byPartition = new Map<number, KafkaMessage[]>([...ends.keys()].map((p) => [p, []]));
    const consumer = this.kafka.consumer({ groupId: this.kit.uniqueName('test.reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.consentLog, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (BigInt(message.offset) < (ends.get(partition) ?? 0n)) byPartition.get(partition)?.push(message);
      },
    });
    await this.kit.waitFor(() => [...ends].every(([p, end]) => BigInt(byPartition.get(p)?.length ?? 0) >= end), {
      description: 'the whole log read back',
      timeoutMs: 60_000,
    });
    await consumer.disconnect();
    return byPartition;
  }

  /** consent.opt-outs as written, in each partition's order, once `enough` says it holds all that is expected. */
  async notices(enough: (notices: OptOutNotice[]) => boolean): Promise<OptOutNotice[]> {
    const byPartition = new Map<number, OptOutNotice[]>();
    const consumer = this.kafka.consumer({ groupId: this.kit.uniqueName('test.notices') });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.optOuts, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const notice = await this.noticeCodec.decode(message.value);
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), notice]);
      },
    });
    const all = () => [...byPartition.values()].flat();
    await this.kit.waitFor(() => enough(all()), { description: 'consent.opt-outs to hold every expected notice', timeoutMs: 60_000 });
    await consumer.disconnect();
    return all();
  }

  /** Waits until consent.dlq holds records this group parked that `matches` (one, or what `enough` says), and returns those records. */
  async deadLetters(matches: (message: KafkaMessage) => boolean = () => true, enough = (letters: KafkaMessage[]) => letters.length > 0, timeoutMs = 60_000): Promise<KafkaMessage[]> {
    const letters: KafkaMessage[] = [];
    const consumer = this.kafka.consumer({ groupId: this.kit.uniqueName('test.dlq') });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.consentDlq, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.headers?.[HEADERS.dlqConsumerGroup]?.toString() === this.groupId && matches(message)) letters.push(message);
      },
    });
    await this.kit.waitFor(() => enough(letters), { description: 'the dead letters expected from this projector', timeoutMs });
    await consumer.disconnect();
    return letters;
  }

  /** Waits until consent.state's latest value of each subject has its projected version, and returns those values. */
  async publishedStates(subjects: string[]) {
    const latest = new Map<string, Buffer>();
    const consumer = this.kafka.consumer({ groupId: this.kit.uniqueName('test.state') });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topics.consentState, fromBeginning: true });
    const rows: { subject_id: string; state: SubjectState }[] = await this.db.query(`select subject_id, state from subject_state where subject_id = any($1)`, [subjects]);
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (subjects.includes(key) && message.value) latest.set(key, message.value);
      },
    });
    await this.kit.waitFor(
      async () => {
        for (const row of rows) {
          const value = latest.get(row.subject_id);
          if (!value || (await this.stateCodec.decode(value)).version !== row.state.version) return false;
        }
        return true;
      },
      { description: 'consent.state to carry every test subject at its projected version', timeoutMs: 60_000 },
    );
    await consumer.disconnect();
    return Promise.all(
      rows.map(async (row) => ({ published: { ...(await this.stateCodec.decode(latest.get(row.subject_id) as Buffer)), updated_at: 0 }, projected: toConsentState(row.state, 0) })),
    );
  }
}
