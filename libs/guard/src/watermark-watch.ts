import type { Admin, Kafka } from 'kafkajs';
import { PartitionWatermark, partitionWatermarks, Watermarks } from './progress';

/**
 * Asks the brokers for the high watermarks of the guard's topics, with an admin client of its
 * own that gives up quickly: a broker that is down must show as a failed check (the guard turns
 * stale), not as a request retried for half a minute.
 */
export class WatermarkWatch {
  private readonly admin: Admin;
  private connected = false;

  constructor(
    kafka: Kafka,
    private readonly topics: string[],
  ) {
    this.admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } });
  }

  async fetch(timeoutMs: number): Promise<Watermarks> {
    const fetchedAt = Date.now();
    return withTimeout(timeoutMs, `fetching the high watermarks of ${this.topics.join(' and ')}`, async () => {
      if (!this.connected) {
        await this.admin.connect();
        this.connected = true;
      }
      // One topic after the other: kafkajs' admin can fail concurrent first requests for topics
      // whose metadata it has not loaded yet ("Topic metadata not loaded").
      const topics = new Map<string, PartitionWatermark[]>();
      for (const topic of this.topics) topics.set(topic, partitionWatermarks(await this.admin.fetchTopicOffsets(topic)));
      return { fetchedAt, topics };
    });
  }

  async stop(): Promise<void> {
    await this.admin.disconnect();
  }
}

async function withTimeout<T>(ms: number, what: string, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
