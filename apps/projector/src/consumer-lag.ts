import { Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { safeErrorSummary } from '@lethe/config';

/**
 * lethe_consumer_lag{group,topic,partition}: records on the topic not yet folded into PostgreSQL.
 * Read when scraped, from the log's end offsets and the offsets stored with the state, so every
 * instance of the group reports the group's lag. Kafka's committed offsets show the same to
 * standard lag tools (kafka-consumer-groups.sh).
 */
export function exposeConsumerLag(group: string, topic: string, lag: () => Promise<Map<number, bigint>>): Gauge {
  const logger = new Logger('projector');
  return new Gauge({
    name: 'lethe_consumer_lag',
    help: 'Records of the topic the consumer group has not applied yet, by partition',
    labelNames: ['group', 'topic', 'partition'] as const,
    async collect() {
      this.reset();
      try {
        for (const [partition, records] of await lag()) this.set({ group, topic, partition: String(partition) }, Number(records));
      } catch (error) {
        // An outage of PostgreSQL or Kafka: the series is absent until they answer again.
        logger.warn(`lethe_consumer_lag unavailable: ${safeErrorSummary(error)}`);
      }
    },
  });
}
