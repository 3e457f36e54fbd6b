import { Logger } from '@nestjs/common';
import { Consumer, EachMessagePayload, Kafka, Producer } from 'kafkajs';
import { CONSUMER_GROUPS, ConsentEventCodec, ConsentEventPayloadOf, HEADERS, TOPICS, UndecodableRecordError } from '@lethe/contracts';
import { sendToDeadLetter } from '@lethe/kafka';
import { RetryStore } from './retry-store';
import { StepRunner } from './step-runner';

export interface SystemConsumerDeps {
  system: string;
  kafka: Kafka;
  producer: Producer;
  codec: ConsentEventCodec;
  runner: StepRunner;
  retries: RetryStore;
  /** How often scheduled retries are looked for. */
  retryPollMs: number;
  onFatal: (error: Error) => void;
}

/**
 * One downstream system as a saga participant: its own consumer group on consent.log, from the
 * beginning, so a system added later catches up on every erasure ever requested. The offset of
 * a record is committed only after its step is acknowledged on the log (or scheduled for retry);
 * records that cannot be read go to consent.dlq.
 */
export class SystemConsumer {
  private readonly logger: Logger;
  private readonly consumer: Consumer;
  private retryTimer?: NodeJS.Timeout;
  private retrying = false;

  constructor(private readonly deps: SystemConsumerDeps) {
    this.logger = new Logger(`erasure:${deps.system}`);
    this.consumer = deps.kafka.consumer({ groupId: CONSUMER_GROUPS.erasureWorker(deps.system), allowAutoTopicCreation: false });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: TOPICS.consentLog, fromBeginning: true });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.deps.onFatal(payload.error);
    });
    await this.consumer.run({ eachMessage: (payload) => this.onMessage(payload) });
    this.retryTimer = setInterval(() => void this.retryDue(), this.deps.retryPollMs);
    this.logger.log(`consuming ${TOPICS.consentLog} as ${CONSUMER_GROUPS.erasureWorker(this.deps.system)}`);
  }

  async stop(): Promise<void> {
    clearInterval(this.retryTimer);
    await this.consumer.disconnect();
  }

  private async onMessage({ partition, message }: EachMessagePayload): Promise<void> {
    const type = message.headers?.[HEADERS.eventType]?.toString();
    if (type && type !== 'ErasureRequested') return; // not ours: skip without decoding
    let event;
    try {
      event = await this.deps.codec.decode(message.value);
    } catch (error) {
      if (!(error instanceof UndecodableRecordError)) throw error; // registry down: retried
      const groupId = CONSUMER_GROUPS.erasureWorker(this.deps.system);
      await sendToDeadLetter(this.deps.producer, [{ topic: TOPICS.consentLog, partition, message, groupId, reason: error.message }]);
      return;
    }
    if (event.payload.type !== 'ErasureRequested') return;
    const payload = event.payload as ConsentEventPayloadOf<'ErasureRequested'>;
    if (!payload.systems.includes(this.deps.system)) return;
    const result = await this.deps.runner.run(event, 1, message.value as Buffer);
    this.logger.log(`request ${payload.request_id}: ${result}`);
  }

  /** Runs the retries that are due; one sweep at a time. */
  private async retryDue(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      for (const retry of await this.deps.retries.claimDue(20)) {
        const event = await this.deps.codec.decode(retry.record);
        const result = await this.deps.runner.run(event, retry.attempt, retry.record);
        this.logger.log(`request ${retry.requestId}, attempt ${retry.attempt}: ${result}`);
      }
    } catch (error) {
      this.logger.warn(`retry sweep failed, will try again: ${(error as Error).message}`);
    } finally {
      this.retrying = false;
    }
  }
}
