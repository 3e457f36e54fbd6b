import { Message, Producer } from 'kafkajs';
import { ACKS_ALL } from './client';
import { chunksOf, MAX_REQUEST_BYTES, messageBytes } from './send-in-chunks';

/** Sends one produce request (acks=all) and resolves once the broker acknowledged all of it. */
export type SendRequest = (messages: Message[]) => Promise<void>;

interface Waiting {
  messages: Message[];
  bytes: number;
  acknowledged: () => void;
  failed: (error: unknown) => void;
}

/**
 * Group commit for one producer: appends that arrive while a produce request is in flight wait,
 * and go together in the next request as soon as it returns. One request at a time, callers in
 * arrival order, and each caller's records kept together in one request (unless they alone
 * exceed `maxRequestBytes`), so the log holds every caller's records in the order they asked and
 * one subject's records are never reordered. A caller's promise resolves only when the request
 * holding its records was acknowledged, and rejects with that request's error if it failed;
 * the callers of other requests are not affected. A caller that gives up (its `signal` aborts)
 * before its records were sent is taken out of the queue, so nothing of it reaches the log;
 * once sent, giving up only stops its wait, and its records may still land.
 */
export class GroupCommit {
  private queue: Waiting[] = [];
  private sending = false;

  /** Group commit of appends to `topic` through one (safe, idempotent) producer, acks=all. */
  static forProducer(producer: Producer, topic: string, maxRequestBytes = MAX_REQUEST_BYTES): GroupCommit {
    return new GroupCommit(async (messages) => void (await producer.send({ topic, acks: ACKS_ALL, messages })), maxRequestBytes);
  }

  constructor(
    private readonly send: SendRequest,
    private readonly maxRequestBytes = MAX_REQUEST_BYTES,
  ) {}

  /** Resolves once every one of `messages` is on the log (acks=all); rejects if its request failed or `signal` aborted first. */
  append(messages: Message[], signal?: AbortSignal): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((acknowledged, failed) => {
      if (signal?.aborted) return failed(signal.reason);
      const bytes = messages.reduce((sum, message) => sum + messageBytes(message), 0);
      const caller: Waiting = { messages, bytes, acknowledged, failed };
      const giveUp = () => {
        const queued = this.queue.indexOf(caller);
        if (queued !== -1) this.queue.splice(queued, 1);
        failed(signal?.reason);
      };
      signal?.addEventListener('abort', giveUp, { once: true });
      caller.acknowledged = () => (signal?.removeEventListener('abort', giveUp), acknowledged());
      caller.failed = (error) => (signal?.removeEventListener('abort', giveUp), failed(error));
      this.queue.push(caller);
      if (!this.sending) void this.drain();
    });
  }

  /** Appends waiting to be sent, for metrics and tests. */
  get waiting(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.nextBatch();
        try {
          await this.sendBatch(batch);
          for (const caller of batch) caller.acknowledged();
        } catch (error) {
          for (const caller of batch) caller.failed(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** The longest run of waiting callers, in order, whose records fit one request (at least one caller). */
  private nextBatch(): Waiting[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || bytes + this.queue[count].bytes <= this.maxRequestBytes)) {
      bytes += this.queue[count].bytes;
      count++;
    }
    return this.queue.splice(0, count);
  }

  /** One request; a single caller too large for one goes out in consecutive requests of its own. */
  private async sendBatch(batch: Waiting[]): Promise<void> {
    const messages = batch.flatMap((caller) => caller.messages);
    if (batch.length > 1 || batch[0].bytes <= this.maxRequestBytes) return this.send(messages);
    for (const chunk of chunksOf(messages, this.maxRequestBytes)) await this.send(chunk);
  }
}
