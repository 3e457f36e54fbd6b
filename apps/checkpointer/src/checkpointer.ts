import { KeyObject } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { EMPTY_HEAD, headerList, recordDigest } from '@lethe/certificates';
import { safeErrorSummary } from '@lethe/config';
import { ACKS_ALL, topicOffsets } from '@lethe/kafka';
import { ChainLane } from './chain-lane';
import { ChainStore } from './chain-store';

export interface CheckpointerDeps {
  kafka: Kafka;
  producer: Producer;
  store: ChainStore;
  key: KeyObject;
  logTopic: string;
  auditTopic: string;
  groupId: string;
  everyRecords: number;
  intervalMs: number;
  onFatal: (error: Error) => void;
}

/**
 * Chains every record of consent.log, per partition, and writes a signed checkpoint every
 * `everyRecords` records, or after `intervalMs` when a partition has news: first to consent.audit
 * (acks=all), then, in one PostgreSQL transaction, the checkpoint and the new head, which is also
 * this group's position. A crash in between writes the same checkpoint again (the signature is
 * deterministic), never a gap: the records are chained again from the stored head.
 */
export class Checkpointer {
  private readonly logger = new Logger('checkpointer');
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly lanes = new Map<number, ChainLane>();
  /** One flush at a time per partition. */
  private readonly flushing = new Map<number, Promise<void>>();
  private resumed: Promise<void> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: CheckpointerDeps) {
    this.consumer = deps.kafka.consumer({ groupId: deps.groupId, allowAutoTopicCreation: false, maxBytesPerPartition: 4 * 1024 * 1024 });
    this.admin = deps.kafka.admin();
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.deps.logTopic, fromBeginning: true });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.deps.onFatal(payload.error);
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.resumed = this.resume(payload.memberAssignment[this.deps.logTopic] ?? []);
    });
    await this.consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 3, eachBatch: (payload) => this.onBatch(payload) });
    this.timer = setInterval(() => this.flushDue(), Math.max(50, Math.floor(this.deps.intervalMs / 4)));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.consumer.disconnect();
    await Promise.all(this.flushing.values());
    await this.admin.disconnect();
  }

  private async resume(partitions: number[]): Promise<void> {
    const stored = await this.deps.store.heads(this.deps.logTopic);
    const ends = new Map((await topicOffsets(this.admin, this.deps.logTopic)).map((p) => [p.partition, p]));
    this.lanes.clear();
    for (const partition of partitions) {
      const head = stored.get(partition) ?? { next: 0n, head: EMPTY_HEAD };
      const end = ends.get(partition);
      if (end && (BigInt(end.high) < head.next || (BigInt(end.low) > head.next))) {
        const error = new Error(`${this.deps.logTopic} partition ${partition} spans offsets ${end.low} to ${end.high}, but its chain stands at ${head.next}: records were deleted or the topic recreated; refusing to chain it`);
        this.deps.onFatal(error);
        throw error;
      }
      this.lanes.set(partition, new ChainLane(this.deps.logTopic, partition, head, Date.now()));
      this.consumer.seek({ topic: this.deps.logTopic, partition, offset: head.next.toString() });
    }
    this.logger.log(`chaining ${partitions.length} partition(s) from the heads stored in PostgreSQL`);
  }

  /** A fresh lane from the head PostgreSQL holds now, read on from there. */
  private async reload(lane: ChainLane): Promise<void> {
    if (this.lanes.get(lane.partition) !== lane) return; // a rebalance replaced it already
    const head = (await this.deps.store.heads(this.deps.logTopic)).get(lane.partition) ?? { next: 0n, head: EMPTY_HEAD };
    this.lanes.set(lane.partition, new ChainLane(this.deps.logTopic, lane.partition, head, Date.now()));
    this.consumer.seek({ topic: this.deps.logTopic, partition: lane.partition, offset: head.next.toString() });
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    await this.resumed;
    const lane = this.lanes.get(batch.partition);
    if (!lane || !isRunning() || isStale()) return;
    const fresh = batch.messages.filter((m) => BigInt(m.offset) >= lane.expected);
    if (fresh.length > 0 && BigInt(fresh[0].offset) !== lane.expected) {
      // A fetch from before our seek: reading on would leave a hole in the chain.
      this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: lane.expected.toString() });
      return;
    }
    for (const m of fresh) {
      lane.pending.push({ offset: BigInt(m.offset), digest: recordDigest({ key: m.key, value: m.value, headers: headerList(m.headers) }).toString('base64') });
    }
    // Also when nothing is new: a batch delivered again after a failed write must retry it.
    if (lane.pending.length >= this.deps.everyRecords) {
      await this.flush(lane, true).catch((error) => {
        this.logger.warn(`checkpoint of partition ${lane.partition} not written, retrying: ${safeErrorSummary(error)}`);
        throw error; // kafkajs delivers the batch again, with backoff
      });
    }
    await heartbeat();
  }

  /** From the timer: every partition with news whose last checkpoint is older than the interval. */
  private flushDue(): void {
    const now = Date.now();
    for (const lane of this.lanes.values()) {
      if (lane.pending.length === 0 || now - lane.lastWritten < this.deps.intervalMs || this.flushing.has(lane.partition)) continue;
      void this.flush(lane, false).catch((error) => this.logger.warn(`checkpoint of partition ${lane.partition} not written, retrying: ${safeErrorSummary(error)}`));
    }
  }

  /** Checkpoints the lane's pending records (only whole chunks of `everyRecords` when `fullOnly`). */
  private flush(lane: ChainLane, fullOnly: boolean): Promise<void> {
    const previous = this.flushing.get(lane.partition) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        while (this.lanes.get(lane.partition) === lane && lane.pending.length >= (fullOnly ? this.deps.everyRecords : 1)) {
          if (!(await this.writeOne(lane))) return;
        }
      })
      .finally(() => {
        if (this.flushing.get(lane.partition) === next) this.flushing.delete(lane.partition);
      });
    this.flushing.set(lane.partition, next);
    return next;
  }

  private async writeOne(lane: ChainLane): Promise<boolean> {
    const checkpoint = lane.prepare(this.deps.everyRecords, this.deps.key);
    if (!checkpoint) return false;
    const [sent] = await this.deps.producer.send({
      topic: this.deps.auditTopic,
      acks: ACKS_ALL,
      messages: [{ key: `${lane.topic}/${lane.partition}`, value: checkpoint.value }],
    });
    const row = { topic: lane.topic, partition: lane.partition, size: checkpoint.size, hash: checkpoint.hash, note: checkpoint.note, auditOffset: String(sent.baseOffset) };
    if (!(await this.deps.store.advance(lane.stored, row))) {
      this.logger.warn(`partition ${lane.partition}: its chain head moved in PostgreSQL (another member, or an earlier write of this one); resuming from the stored head`);
      await this.reload(lane);
      return false;
    }
    lane.advance(checkpoint, Date.now());
    // Kafka's committed offset follows PostgreSQL's, for lag tools only: one attempt is enough.
    await this.consumer.commitOffsets([{ topic: lane.topic, partition: lane.partition, offset: checkpoint.size.toString() }]).catch(() => undefined);
    return true;
  }
}
