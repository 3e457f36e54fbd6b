import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Logger } from 'kafkajs';
import { ConsentState, ConsentStateCodec, DecodeError, OptOutNotice, OptOutNoticeCodec, RegistryUnavailableError, subjectsFor, TopicNames } from '@lethe/contracts';
import type { Progress } from './progress';

export interface FeedHandlers {
  /** A consent.state record: the state, or null for a tombstone. */
  state(subjectId: string, state: ConsentState | null): void;
  notice(notice: OptOutNotice): void;
  undecodable(topic: string): void;
  /** After each batch: the progress moved. */
  progressed(): void;
}

const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 5_000;
const SESSION_TIMEOUT_MS = 10_000;

/**
 * The guard's one consumer: both topics from the beginning, in a consumer group of its own (so
 * every instance reads everything), committing nothing. Records already applied (a replay after
 * a rejoin, which starts again from the beginning) are passed over by offset.
 */
export class ConsentFeed {
  private readonly consumer: Consumer;
  private readonly stateCodec: ConsentStateCodec;
  private readonly noticeCodec: OptOutNoticeCodec;
  private registryDown = false;

  constructor(
    kafka: Kafka,
    registryUrl: string,
    private readonly topics: TopicNames,
    groupPrefix: string,
    private readonly progress: Progress,
    private readonly handlers: FeedHandlers,
    private readonly log: Logger,
  ) {
    // A group of one: after a broker restart its rejoin waits for the session of the member that
    // was cut off to expire, so a short session is a short outage. Heartbeats go with every batch.
    this.consumer = kafka.consumer({
      groupId: `${groupPrefix}.${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 1_000,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: SESSION_TIMEOUT_MS / 4,
    });
    const subjects = subjectsFor(topics);
    this.stateCodec = ConsentStateCodec.forRegistry(registryUrl, subjects.consentStateValue);
    this.noticeCodec = OptOutNoticeCodec.forRegistry(registryUrl, subjects.optOutsValue);
  }

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => this.resumeWhereApplied(payload.memberAssignment));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topics.consentState, this.topics.optOuts], fromBeginning: true });
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.eachBatch(payload) });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }

  /**
   * After a rejoin (a broker restart, a session timeout) kafkajs would start again from the
   * beginning, nothing being committed: seek to where this guard already is instead. Records
   * before that would be passed over anyway (see eachBatch); this spares reading them again.
   */
  private resumeWhereApplied(assignment: Record<string, number[]>): void {
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        const position = this.progress.position(topic, partition);
        if (position > 0) this.consumer.seek({ topic, partition, offset: String(position) });
      }
    }
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const offset = Number(message.offset);
      if (offset >= this.progress.position(batch.topic, batch.partition)) {
        await this.apply(batch.topic, batch.partition, message, payload);
        this.progress.advance(batch.topic, batch.partition, offset + 1);
      }
      resolveOffset(message.offset);
    }
    this.handlers.progressed();
    await heartbeat();
  }

  private async apply(topic: string, partition: number, message: KafkaMessage, payload: EachBatchPayload): Promise<void> {
    if (topic === this.topics.consentState) {
      const subjectId = message.key?.toString();
      if (message.value === null) {
        if (subjectId) this.handlers.state(subjectId, null);
        return;
      }
      const state = await this.decode(() => this.stateCodec.decode(message.value), topic, partition, message.offset, payload);
      if (state) this.handlers.state(subjectId ?? state.subject_id, withDefaults(state));
    } else {
      const notice = await this.decode(() => this.noticeCodec.decode(message.value), topic, partition, message.offset, payload);
      if (notice) this.handlers.notice(notice);
    }
  }

  /**
   * A record that can never be read is counted and passed over (it cannot be a restriction the
   * guard could honour). An unavailable registry is an outage: the record waits, retried with
   * backoff, and the guard turns stale meanwhile; it is never passed over.
   */
  private async decode<T>(read: () => Promise<T>, topic: string, partition: number, offset: string, payload: EachBatchPayload): Promise<T | undefined> {
    for (let delay = FIRST_RETRY_MS; ; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      try {
        const value = await read();
        if (this.registryDown) this.log.info('schema registry answers again; consuming');
        this.registryDown = false;
        return value;
      } catch (error) {
        if (error instanceof DecodeError) {
          this.log.warn(`skipping an undecodable record at ${topic}[${partition}]@${offset}: ${error.message}`);
          this.handlers.undecodable(topic);
          return undefined;
        }
        if (!(error instanceof RegistryUnavailableError) || !payload.isRunning()) throw error;
        if (!this.registryDown) this.log.warn(`${error.message}; retrying ${topic}[${partition}]@${offset} until it answers (nothing is skipped)`);
        this.registryDown = true;
        await new Promise((done) => setTimeout(done, delay));
        await payload.heartbeat();
      }
    }
  }
}

/** States written by consent-state v1 have no erasures (decoded with their writer's schema); v2 reads that as empty. */
function withDefaults(state: ConsentState): ConsentState {
  return state.erasures ? state : { ...state, erasures: [] };
}
