import { Logger } from '@nestjs/common';
import { safeErrorSummary } from '@lethe/config';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import {
  CONSENT_EVENT_PAYLOAD_TYPES,
  ConsentEvent,
  ConsentEventCodec,
  DecodeError,
  erasureWorkId,
  HEADERS,
  TopicNames,
  UnknownPayloadTypeError,
  upgradeNeeded,
} from '@lethe/contracts';
import { retryWhileRegistryUnavailable, sendToDeadLetter } from '@lethe/kafka';
import { reactionInForce, SubjectState } from '@lethe/consent-domain';
import type { DueStep, OutstandingSteps } from '@lethe/persistence';
import { runInLanes } from './lanes';
import { Progress } from './progress';
import { StepResult, StepRunner } from './step-runner';
import { Participant, reapplied, typesOfInterest, Work, workFor } from './work';

/** How often a line of progress is logged, when anything happened. */
const PROGRESS_EVERY_MS = 10_000;
/** How often confirmed steps past their keeping time are deleted; they only take space. */
const PURGE_EVERY_MS = 3_600_000;

export interface SystemConsumerDeps {
  participant: Participant;
  kafka: Kafka;
  producer: Producer;
  codec: ConsentEventCodec;
  /** Lethe's topics under the configured prefix. */
  topics: TopicNames;
  runner: StepRunner;
  steps: OutstandingSteps;
  /** The subject's state as the projector folded it (null when it has none), to tell what is still in force. */
  projectedState: (subjectId: string) => Promise<SubjectState | null>;
  /** How often scheduled retries are looked for. */
  retryPollMs: number;
  /**
   * Partitions worked on at once. A step waits on its system and on the broker's acknowledgement,
   * so steps of different partitions overlap; within a partition, see stepsAtOnce.
   */
  partitionsAtOnce: number;
  /**
   * Records of one partition taken per round. The subjects among them are worked on at once, each
   * subject's records in log order; the offset passes the round once every step of it is on the log.
   */
  stepsAtOnce: number;
  /** Consumer group; one per system (consumerGroupsFor(prefix).erasureWorker) unless a test names its own. */
  groupId: string;
  onFatal: (error: Error) => void;
}

/**
 * One downstream system as a saga participant: its own consumer group on consent.log, from the
 * beginning, so a system added later catches up on every request ever made of it. The offset of
 * a record is committed only after its step is acknowledged on the log (or scheduled for retry);
 * records that cannot be read go to consent.dlq with the reason.
 */
export class SystemConsumer {
  private readonly logger: Logger;
  private readonly consumer: Consumer;
  private readonly groupId: string;
  private readonly types: string[];
  private retryTimer?: NodeJS.Timeout;
  private progressTimer?: NodeJS.Timeout;
  private readonly progress = new Progress();
  private retrying = false;
  private running = false;
  private lastPurge = 0;

  constructor(private readonly deps: SystemConsumerDeps) {
    const system = deps.participant.name;
    this.logger = new Logger(`erasure:${system}`);
    this.groupId = deps.groupId;
    this.types = typesOfInterest(deps.participant);
    this.consumer = deps.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false });
  }

  async start(): Promise<void> {
    this.running = true;
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.deps.topics.consentLog, fromBeginning: true });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.deps.onFatal(payload.error);
    });
    await this.consumer.run({
      partitionsConsumedConcurrently: this.deps.partitionsAtOnce,
      // Offsets are resolved by hand, a round at a time, and only once every step of the round is
      // acknowledged on the log (or scheduled for retry, or on consent.dlq): see onBatch.
      eachBatchAutoResolve: false,
      autoCommitInterval: 2_000,
      autoCommitThreshold: 100,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.retryTimer = setInterval(() => void this.retryDue(), this.deps.retryPollMs);
    this.progressTimer = setInterval(() => this.reportProgress(), PROGRESS_EVERY_MS);
    this.logger.log(`consuming ${this.deps.topics.consentLog} as ${this.groupId}`);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.retryTimer);
    clearInterval(this.progressTimer);
    await this.consumer.disconnect();
    this.reportProgress();
  }

  /**
   * A fetched batch of one partition, in rounds of `stepsAtOnce` records: the subjects of a round
   * are worked on at once, each subject's records one after another in log order (records are
   * keyed by subject). The round's last offset is resolved and committed only after every step
   * in it has its acknowledgement on the log; a crash mid-round repeats the round, idempotently.
   * Committing after each round, not at the end of a batch of thousands of records, means a
   * restart repeats seconds of work (a third party's duplicate request), not minutes.
   */
  private async onBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (let from = 0; from < batch.messages.length; from += this.deps.stepsAtOnce) {
      if (!isRunning() || isStale()) return;
      const round = batch.messages.slice(from, from + this.deps.stepsAtOnce);
      await runInLanes(round, subjectOf, (message) => this.onMessage(batch.partition, message, heartbeat));
      resolveOffset(round[round.length - 1].offset);
      await heartbeat();
      await commitOffsetsIfNecessary();
    }
  }

  private async onMessage(partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<void> {
    const type = message.headers?.[HEADERS.eventType]?.toString();
    if (type && !(CONSENT_EVENT_PAYLOAD_TYPES as readonly string[]).includes(type)) this.stopForUpgrade(new UnknownPayloadTypeError(type), partition, message.offset);
    if (type && !this.types.includes(type)) return; // not ours: skip without decoding
    const event = await this.decode(partition, message, heartbeat);
    if (!event) return;
    if (event.payload.type === 'ErasureStepRetryRequested') return this.onRetryRequested(event.subject_id, event.payload);
    const found = await this.causeAndWork(event, heartbeat);
    if (!found) return;
    const result = await this.deps.runner.run(found.cause, found.work, { number: 1, roundStart: 1, record: message.value as Buffer });
    this.noteStep(`${found.work.kind} ${found.work.workId}`, result);
  }

  /**
   * The event that caused the work and the work itself: the event, or for an operator's
   * `lethe reapply` of this system the cause it carries, worked on under a new work id (ADR 0019).
   * Either way the cause must still be in force, as when the system first acted.
   */
  private async causeAndWork(event: ConsentEvent, heartbeat: () => Promise<void> = async () => undefined): Promise<{ cause: ConsentEvent; work: Work } | null> {
    if (event.payload.type !== 'StepReapplyRequested') {
      const work = await this.workOf(event);
      return work && { cause: event, work };
    }
    if (event.payload.system !== this.deps.participant.name) return null;
    if (this.deps.participant.type === 'http') {
      // A processor restores its own backups; its callback knows the request by the original work id.
      this.logger.warn(`event ${event.event_id}: a reapply is not sent to a third-party processor; ignored`);
      return null;
    }
    const bytes = event.payload.cause;
    const cause = await retryWhileRegistryUnavailable(() => this.deps.codec.decode(bytes), { group: this.groupId, log: this.logger, stillWanted: () => this.running, heartbeat }).catch((error: unknown) => {
      if (error instanceof DecodeError) return null;
      throw error;
    });
    // Nothing is done for a request whose cause cannot be read or is another subject's: it names no work of this subject.
    if (!cause || cause.subject_id !== event.subject_id) {
      this.logger.warn(`event ${event.event_id}: a reapply whose cause is ${cause ? "another subject's" : 'undecodable'}; ignored`);
      return null;
    }
    const work = await this.workOf(cause);
    return work && { cause, work: reapplied(work, event as ConsentEvent & { payload: typeof event.payload }) };
  }

  /**
   * The work `event` gives this system now. A withdrawal is checked against the subject's current
   * state, so a system catching up on history does not act on (nor send a processor the
   * identities of) a withdrawal that a later grant, withdrawal or objection of the purpose replaced.
   */
  private async workOf(event: ConsentEvent): Promise<Work | null> {
    const state = event.payload.type === 'ConsentWithdrawn' ? await this.deps.projectedState(event.subject_id) : null;
    const work = workFor(event, this.deps.participant, (cause) => reactionInForce(state, event, cause));
    if (!work && state && workFor(event, this.deps.participant)) this.noteSkipped(event);
    return work;
  }

  private noteSkipped(event: ConsentEvent): void {
    this.progress.add('superseded');
    this.logger.debug(`event ${event.event_id}: superseded by a later fact about the purpose, not acted on`);
  }

  /**
   * The event, or undefined once an undecodable record is on consent.dlq. A registry outage waits
   * here, retried with backoff; a payload type from a newer Lethe stops the worker, since it may
   * be work an older worker cannot see.
   */
  private async decode(partition: number, message: KafkaMessage, heartbeat: () => Promise<void>): Promise<ConsentEvent | undefined> {
    const stillWanted = () => this.running;
    try {
      return await retryWhileRegistryUnavailable(() => this.deps.codec.decode(message.value), { group: this.groupId, log: this.logger, stillWanted, heartbeat });
    } catch (error) {
      if (error instanceof UnknownPayloadTypeError) this.stopForUpgrade(error, partition, message.offset);
      if (!(error instanceof DecodeError)) throw error;
      const letter = { topic: this.deps.topics.consentLog, partition, message, groupId: this.groupId, reason: error.kind, detail: error.message };
      await sendToDeadLetter(this.deps.producer, this.deps.topics.consentDlq, [letter]);
      this.logger.warn(`an undecodable record (${error.kind}) went to ${this.deps.topics.consentDlq}`);
      return undefined;
    }
  }

  private stopForUpgrade(error: UnknownPayloadTypeError, partition: number, offset: string): never {
    const fatal = upgradeNeeded(error, `${this.deps.topics.consentLog} partition ${partition} offset ${offset}`, `erasure worker (${this.deps.participant.name})`);
    this.deps.onFatal(fatal);
    throw fatal;
  }

  /** Each step at debug level; the default level gets the periodic summary. */
  private noteStep(what: string, result: StepResult): void {
    this.progress.add(result);
    this.logger.debug(`${what}: ${result}`);
  }

  private reportProgress(): void {
    const line = this.progress.report();
    if (line) this.logger.log(line);
  }

  /** An operator's retry of this system: the parked step runs again, with a fresh budget. */
  private async onRetryRequested(subjectId: string, retry: { request_id: string; system: string }): Promise<void> {
    if (retry.system !== this.deps.participant.name) return;
    const workId = erasureWorkId(subjectId, retry.request_id);
    // A step parked before work ids existed is keyed by its request id (the retry sweep re-keys it).
    const rearmed = (await this.deps.steps.rearm(workId)) || (await this.deps.steps.rearm(retry.request_id));
    this.logger.log(`${workId}: ${rearmed ? 'retry requested, due now' : 'retry requested, but no failed step is parked here'}`);
    if (rearmed) void this.retryDue();
  }

  private async retryOne(due: DueStep): Promise<void> {
    const found = await this.causeAndWork(await this.deps.codec.decode(due.record));
    const work = found?.work ?? null;
    // The system no longer maps this cause, or the row predates work ids (the step runs again
    // under its work id, idempotently): either way this row has nothing more to do.
    if (!work || work.workId !== due.workId) await this.deps.steps.clear(due.workId);
    if (!found || !work) return;
    const attempt = { number: due.attempt, roundStart: due.roundStart, record: due.record };
    const { cause } = found;
    const result = due.confirmationOverdue ? await this.deps.runner.notConfirmed(cause, work, attempt) : await this.deps.runner.run(cause, work, attempt);
    this.noteStep(`${work.kind} ${work.workId}, attempt ${due.attempt}`, result);
  }

  /** Runs the retries that are due and reports lapsed confirmations (hourly, also forgets old confirmed steps); one sweep at a time. */
  private async retryDue(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      for (const due of await this.deps.steps.claimDue(20)) {
        // One step at a time: a failure leaves its row to come back when its lease ends, and the
        // other due steps still run.
        await this.retryOne(due).catch((error: unknown) => this.logger.warn(`retry of ${due.workId} failed, will try again: ${safeErrorSummary(error)}`));
      }
      if (Date.now() - this.lastPurge >= PURGE_EVERY_MS) {
        await this.deps.steps.purgeConfirmed();
        this.lastPurge = Date.now();
      }
    } catch (error) {
      this.logger.warn(`retry sweep failed, will try again: ${safeErrorSummary(error)}`);
    } finally {
      this.retrying = false;
    }
  }
}

/** consent.log records are keyed by subject (appendToConsentLog): the lane a record runs in. */
function subjectOf(message: KafkaMessage): string {
  return message.key?.toString() ?? '';
}
