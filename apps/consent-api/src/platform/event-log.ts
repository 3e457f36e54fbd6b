import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Producer } from 'kafkajs';
import { ConsentEvent, ConsentEventCodec, HEADERS } from '@lethe/contracts';
import { GroupCommit } from '@lethe/kafka';
import { Admission } from './admission';
import { Metrics } from './metrics';
import { API_CONFIG } from './tokens';
import type { ApiConfig } from '../config';

/** The broker did not confirm a write in time; the caller should retry with the same key. */
export class BrokerUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the event log did not acknowledge the write', { cause });
  }
}

export const EVENT_PRODUCER = Symbol('Producer');
export const EVENT_CODEC = Symbol('ConsentEventCodec');

/**
 * Appends events to consent.log. Resolves only once every in-sync replica has the records
 * (acks=all, idempotent producer); otherwise rejects with BrokerUnavailableError. A write that
 * timed out here may still land later: callers resend with the same event id, which the fold
 * treats as a duplicate. Concurrent appends share produce requests (group commit): those that
 * arrive while one request is in flight go together in the next, each caller answered when its
 * own request is acknowledged, so one slow round trip to the broker no longer queues every
 * other write behind it one by one.
 */
@Injectable()
export class EventLog implements OnApplicationShutdown {
  private readonly commit: GroupCommit;

  constructor(
    @Inject(EVENT_PRODUCER) private readonly producer: Producer,
    @Inject(EVENT_CODEC) private readonly codec: ConsentEventCodec,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly metrics: Metrics,
    private readonly admission: Admission,
  ) {
    this.commit = GroupCommit.forProducer(producer, config.topics.names.consentLog);
  }

  async append(events: ConsentEvent[]): Promise<void> {
    const stopTimer = this.metrics.brokerWriteSeconds.startTimer();
    try {
      const messages = await Promise.all(
        events.map(async (event) => ({
          key: event.subject_id,
          value: await this.codec.encode(event),
          headers: { [HEADERS.eventType]: event.payload.type },
        })),
      );
      // A write still queued when its time is up is dropped, so it never lands after a 503.
      await withTimeout((signal) => this.commit.append(messages, signal), this.config.brokerTimeoutMs);
      this.admission.logAcknowledged();
    } catch (error) {
      this.admission.logFailed();
      this.metrics.brokerWriteFailures.inc();
      throw new BrokerUnavailableError(error);
    } finally {
      stopTimer();
    }
    for (const event of events) this.metrics.eventsWritten.inc({ type: event.payload.type });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect();
  }
}

async function withTimeout<T>(run: (signal: AbortSignal) => Promise<T>, ms: number): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no acknowledgement within ${ms} ms`)), ms);
  try {
    return await run(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}
