import { Logger } from '@nestjs/common';
import { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { DataSource } from 'typeorm';
import { safeErrorSummary } from '@lethe/config';
import type { SubjectState } from '@lethe/consent-domain';
import { UnknownPayloadTypeError, upgradeNeeded } from '@lethe/contracts';
import { retryWhileRegistryUnavailable, sendToDeadLetter, topicOffsets } from '@lethe/kafka';
import { applyIsolating, DecodedRecord, decodeRecord, PartitionMoved, ProjectionStore } from '@lethe/projection';
import { destroyShreddedKeys, shredEndedRetentions, shredOnStart, sweepEvery } from './key-shredding';
import { LatePublications } from './late-publications';
import { PublicationDeps, publishSlice } from './slice-publications';

/** Dead letters sent between heartbeats: a few produce requests' worth, well within any session. */
const LETTERS_PER_HEARTBEAT = 2_000;

/** What it publishes with (PublicationDeps: producer, codecs, topics, group), and how it consumes. */
export interface ProjectorDeps extends PublicationDeps {
  kafka: Kafka;
  db: DataSource;
  maxBatchRecords: number;
  concurrency: number;
  /** The consumer's session: a member silent for longer loses its partitions. */
  sessionTimeoutMs: number;
  /** Fault injection for resilience tests; 0 in production. */
  faultDelayMs: number;
  /** Fault injection for resilience tests, inside the first transaction just before it publishes; 0 in production. */
  faultPublishDelayMs: number;
  /** How often ended identity retentions are looked for (docs/adr/0022). */
  retentionSweepMs: number;
  /** Called when the consumer stopped for good (kafkajs will not restart it). */
  onFatal: (error: Error) => void;
}

/**
 * Folds consent.log into PostgreSQL. Offsets live in PostgreSQL, written in the same transaction
 * as the state they produced, so after any crash the projector resumes exactly where its last
 * committed batch ended: nothing lost, nothing applied twice. Each transaction locks the offset it
 * moves, so a stale owner cannot move it back. Kafka's committed offsets follow, for lag tools.
 */
export class Projector {
  private readonly logger = new Logger('projector');
  private readonly store: ProjectionStore;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  /** Per partition: the offset the next applied record must have. */
  private readonly expected = new Map<number, string>();
  /** Settles once the partitions of the latest assignment know where to resume. */
  private resumed: Promise<void> = Promise.resolve();
  private retentionSweep?: { stop: () => Promise<void> };
  private readonly late: LatePublications;
  private publishStalled = false;

  constructor(private readonly deps: ProjectorDeps) {
    this.store = new ProjectionStore(deps.groupId);
    this.consumer = deps.kafka.consumer({
      groupId: deps.groupId,
      allowAutoTopicCreation: false,
      // Bigger fetches mean bigger transactions, and PostgreSQL round trips are the cost.
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      sessionTimeout: deps.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(deps.sessionTimeoutMs / 3)),
    });
    this.admin = deps.kafka.admin();
    this.late = new LatePublications({ ...deps, store: this.store, idleInTransactionTimeoutMs: this.idleInTransactionTimeoutMs, logger: this.logger });
  }

  /** A process frozen inside a transaction must not hold a partition's lock for ever; the next owner waits for it without heartbeating, so the timeout is well within its own session. */
  private get idleInTransactionTimeoutMs(): number {
    return this.deps.sessionTimeoutMs / 2;
  }

  async start(): Promise<void> {
    await shredOnStart(this.deps, this.deps.db.manager, this.store, this.logger);
    this.retentionSweep = sweepEvery(this.deps.retentionSweepMs, () => shredEndedRetentions(this.deps, this.deps.db.manager, this.store, this.logger), this.logger);
    await this.admin.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.deps.topics.consentLog, fromBeginning: true });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.fatal(payload.error);
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[this.deps.topics.consentLog] ?? [];
      this.resumed = this.resumeFromStoredOffsets(partitions);
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.deps.concurrency,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  async stop(): Promise<void> {
    try {
      await this.retentionSweep?.stop();
      await this.consumer.disconnect();
    } finally {
      await this.late.stop();
    }
    await this.admin.disconnect();
  }

  /** Stops for good (the caller exits), saying first what repairs it leaves undone. */
  private fatal(error: Error): void {
    this.late.warnIfPending('exiting');
    this.deps.onFatal(error);
  }

  private async resumeFromStoredOffsets(partitions: number[]): Promise<void> {
    const stored = await this.store.offsets(this.deps.db.manager, this.deps.topics.consentLog);
    const ends = await topicOffsets(this.admin, this.deps.topics.consentLog);
    const low = new Map(ends.map((p) => [p.partition, p.low]));
    this.refuseALogThatShrank(stored, new Map(ends.map((p) => [p.partition, p.high])));
    this.expected.clear();
    for (const partition of partitions) {
      const offset = stored.get(partition) ?? low.get(partition) ?? '0';
      this.expected.set(partition, offset);
      this.consumer.seek({ topic: this.deps.topics.consentLog, partition, offset });
    }
    this.logger.log(`resuming ${partitions.length} partition(s) from the offsets stored with the state`);
  }

  /**
   * The state was folded from records this log no longer has (the topic was recreated, or the
   * broker's data wiped, while PostgreSQL kept the projection). Resuming would wait at the old
   * offsets and silently skip every new event below them, so the projector stops instead.
   */
  private refuseALogThatShrank(stored: Map<number, string>, high: Map<number, string>): void {
    const shrunk = [...stored].find(([partition, offset]) => BigInt(offset) > BigInt(high.get(partition) ?? '0'));
    if (!shrunk) return;
    const [partition, offset] = shrunk;
    const error = new Error(
      `${this.deps.topics.consentLog} partition ${partition} ends at offset ${high.get(partition) ?? 0}, but the projection in PostgreSQL has applied it up to ${offset}: ` +
        `the topic was recreated or its data wiped. Refusing to resume, as new events would be skipped. ` +
        `Restore the log, or rebuild the projection from this log into an empty database or schema (LETHE_DB_SCHEMA).`,
    );
    this.fatal(error);
    throw error;
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload) {
    await this.resumed; // a failure here throws, and kafkajs retries the batch
    const expected = this.expected.get(batch.partition);
    if (expected === undefined) return; // not (or no longer) ours
    // Records before the stored offset were applied already; a batch that starts after it is
    // from a stale position (before our seek took effect) and would leave a gap: skip it.
    const pending = batch.messages.filter((m) => BigInt(m.offset) >= BigInt(expected));
    if (pending.length === 0) return;
    if (pending[0].offset !== expected) {
      this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: expected });
      return;
    }
    for (let start = 0; start < pending.length; start += this.deps.maxBatchRecords) {
      if (!isRunning() || isStale()) return;
      const slice = pending.slice(start, start + this.deps.maxBatchRecords);
      const records = await retryWhileRegistryUnavailable(() => Promise.all(slice.map((message) => this.decode(batch.partition, message))), {
        group: this.deps.groupId,
        log: this.logger,
        stillWanted: () => isRunning() && !isStale(),
        heartbeat,
      });
      await this.faultDelay(batch.partition, slice);
      const parked = await this.parkUndecodable(batch.topic, batch.partition, records, heartbeat);
      try {
        await this.applyIsolating(batch.topic, batch.partition, records, parked);
      } catch (error) {
        if (!(error instanceof PartitionMoved)) throw error;
        this.logger.warn(`${error.message}; resuming from there`);
        this.expected.set(batch.partition, error.storedOffset);
        this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: error.storedOffset });
        return;
      }
      const last = slice[slice.length - 1].offset;
      const next = (BigInt(last) + 1n).toString();
      this.expected.set(batch.partition, next);
      resolveOffset(last);
      await this.commitToKafka(commitOffsetsIfNecessary, batch.topic, batch.partition, next);
      await heartbeat();
    }
  }

  /**
   * The slice's transaction (@lethe/projection, shared with `lethe rebuild`). Everything is
   * published only once every write succeeded, just before the commit: a failing commit is an
   * outage, and the retry folds the same records from the same states into the same values,
   * which compaction absorbs. A commit that fails after the states went out may leave them
   * landing after a newer owner's (LatePublications), so they are published again from the
   * projection.
   */
  private async applyIsolating(topic: string, partition: number, records: DecodedRecord[], parked: ReadonlySet<KafkaMessage>): Promise<void> {
    // The states each attempt went on to publish; looked at only if one fails.
    const published: SubjectState[][] = [];
    try {
      await applyIsolating(
        {
          db: this.deps.db,
          store: this.store,
          idleInTransactionTimeoutMs: this.idleInTransactionTimeoutMs,
          beforeCommit: async (tx, folded) => {
            const stalled = await this.faultPublishDelay(partition);
            published.push(folded.changed);
            await publishSlice(this.deps, this.logger, topic, partition, { ...folded, rejected: folded.rejected.filter((r) => !parked.has(r.message)) });
            if (stalled) this.logger.warn(`fault injection: partition ${partition} published ${folded.changed.length} state(s) after the stall`);
            await destroyShreddedKeys(tx, folded.changed);
          },
          warn: (message) => this.logger.warn(message),
        },
        topic,
        partition,
        records,
      );
    } catch (error) {
      // publishSlice has returned or thrown: the slice's own sends are over.
      // Later attempts' versions replace earlier ones': they were published after.
      this.late.afterFailedCommit(partition, new Map(published.flat().map((state) => [state.subjectId, state.version])));
      throw error;
    }
  }

  /**
   * Undecodable records go to consent.dlq before the slice's transaction, not inside it. A burst
   * of them is many produce requests (one at a time, on the producer every partition shares):
   * inside the transaction they held it idle past its timeout on a busy broker, so the commit
   * failed and the slice was folded and dead-lettered again, for ever. The rule is kept: the
   * offset moves past a record only in the transaction after its letter is durable (acks=all).
   * A slice redone after a failure sends its letters again, a duplicate the re-drive ignores.
   */
  private async parkUndecodable(topic: string, partition: number, records: DecodedRecord[], heartbeat: () => Promise<void>): Promise<Set<KafkaMessage>> {
    const undecodable = records.filter((record) => !record.event);
    for (let start = 0; start < undecodable.length; start += LETTERS_PER_HEARTBEAT) {
      const letters = undecodable.slice(start, start + LETTERS_PER_HEARTBEAT);
      await sendToDeadLetter(
        this.deps.producer,
        this.deps.topics.consentDlq,
        letters.map(({ message, problem, detail }) => ({ topic, partition, message, reason: problem ?? 'undecodable', detail, groupId: this.deps.groupId })),
      );
      await heartbeat();
    }
    if (undecodable.length > 0) this.logger.warn(`${undecodable.length} undecodable record(s) of partition ${partition} sent to ${this.deps.topics.consentDlq}`);
    return new Set(undecodable.map((record) => record.message));
  }

  /**
   * Kafka's committed offset follows the one stored in PostgreSQL, so lag tools see the group's
   * position. It is never read back, so one attempt is enough: a commit refused while the group
   * rebalances only waits for the next slice (kafkajs's consumer.commitOffsets would retry it,
   * holding up the heartbeat that lets this member rejoin).
   */
  private async commitToKafka(commit: EachBatchPayload['commitOffsetsIfNecessary'], topic: string, partition: number, offset: string) {
    try {
      await commit({ topics: [{ topic, partitions: [{ partition, offset }] }] });
    } catch (error) {
      this.logger.debug(`offset commit to Kafka for partition ${partition} deferred: ${safeErrorSummary(error)}`);
    }
  }

  /** LETHE_PROJECTOR_FAULT_DELAY_MS: a stall between reading a slice and applying it, for resilience tests. */
  private async faultDelay(partition: number, slice: EachBatchPayload['batch']['messages']): Promise<void> {
    if (this.deps.faultDelayMs === 0) return;
    this.logger.warn(`fault injection: partition ${partition} offsets ${slice[0].offset}..${slice[slice.length - 1].offset} wait ${this.deps.faultDelayMs} ms before their transaction`);
    await new Promise((done) => setTimeout(done, this.deps.faultDelayMs));
  }

  /** LETHE_PROJECTOR_FAULT_PUBLISH_DELAY_MS: a stall inside the first slice's transaction, just before it publishes, for resilience tests. True when it stalled. */
  private async faultPublishDelay(partition: number): Promise<boolean> {
    if (this.deps.faultPublishDelayMs === 0 || this.publishStalled) return false;
    this.publishStalled = true;
    this.logger.warn(`fault injection: partition ${partition} waits ${this.deps.faultPublishDelayMs} ms before publishing`);
    await new Promise((done) => setTimeout(done, this.deps.faultPublishDelayMs));
    return true;
  }

  /** Offsets of consent.log not yet folded into PostgreSQL, by partition (lethe_consumer_lag). */
  async lag(): Promise<Map<number, bigint>> {
    const stored = await this.store.offsets(this.deps.db.manager, this.deps.topics.consentLog);
    const ends = await topicOffsets(this.admin, this.deps.topics.consentLog);
    return new Map(ends.map(({ partition, high, low }) => [partition, BigInt(high) - BigInt(stored.get(partition) ?? low)]));
  }

  /**
   * Undecodable records become rejections (for consent.dlq, with the kind as reason); a registry
   * outage throws RegistryUnavailableError, which the caller retries. A payload type from a newer
   * Lethe stops the projector: folding past it would give a state a newer projector disagrees with.
   */
  private async decode(partition: number, message: DecodedRecord['message']): Promise<DecodedRecord> {
    try {
      return await decodeRecord(this.deps.eventCodec, message);
    } catch (error) {
      if (error instanceof UnknownPayloadTypeError) {
        const fatal = upgradeNeeded(error, `${this.deps.topics.consentLog} partition ${partition} offset ${message.offset}`, 'projector');
        this.fatal(fatal);
        throw fatal;
      }
      throw error;
    }
  }
}
