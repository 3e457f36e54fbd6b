import { reach } from '@lethe/config';
import { ConsentEventCodec, ConsentStateCodec, OptOutNoticeCodec, subjectsFor } from '@lethe/contracts';
import { createKafka, createSafeProducer, ensureTopicsWith, kafkaPatience, serveMetrics } from '@lethe/kafka';
import { openDatabase } from '@lethe/persistence';
import type { ProjectorConfig } from './config';
import { exposeConsumerLag } from './consumer-lag';
import { Projector } from './projector';

/** Connects what the projector needs (failing fast, naming what did not answer) and starts it. */
export async function startProjector(
  config: ProjectorConfig,
  onFatal: (error: Error) => void,
  clientId = 'lethe-projector',
) {
  const db = await reach('PostgreSQL (DATABASE_URL)', () =>
    openDatabase({ url: config.endpoints.databaseUrl, schema: config.databaseSchema }),
  );
  const kafka = createKafka({ brokers: config.endpoints.kafkaBrokers, clientId });
  const patience = kafkaPatience(config.startupTimeoutMs);
  await reach('Kafka (KAFKA_BROKERS)', () => ensureTopicsWith(kafka, config.topics), patience);
  const subjects = subjectsFor(config.topics.names);
  const eventCodec = ConsentEventCodec.forRegistry(config.endpoints.schemaRegistryUrl, subjects.consentLogValue);
  const stateCodec = ConsentStateCodec.forRegistry(config.endpoints.schemaRegistryUrl, subjects.consentStateValue);
  const noticeCodec = OptOutNoticeCodec.forRegistry(config.endpoints.schemaRegistryUrl, subjects.optOutsValue);
  await reach('schema registry (SCHEMA_REGISTRY_URL)', () => Promise.all([eventCodec.register(), stateCodec.register(), noticeCodec.register()]));
  const producer = createSafeProducer(kafka);
  await reach('Kafka producer', () => producer.connect(), patience);
  const { groupId, maxBatchRecords, concurrency, sessionTimeoutMs, faultDelayMs, faultPublishDelayMs, retentionSweepMs } = config;
  const topics = config.topics.names;
  const projector = new Projector({ kafka, db, producer, eventCodec, stateCodec, noticeCodec, topics, groupId, maxBatchRecords, concurrency, sessionTimeoutMs, faultDelayMs, faultPublishDelayMs, retentionSweepMs, onFatal });
  await projector.start();
  if (config.metrics) exposeConsumerLag(groupId, topics.consentLog, () => projector.lag());
  const metrics = config.metrics && (await serveMetrics(config.metrics.port, config.metrics.host));
  return {
    projector,
    db,
    stop: async () => {
      metrics?.close();
      await projector.stop();
      await producer.disconnect();
      await db.destroy();
    },
  };
}

