import { privateKeyFromSeed, verifierKey } from '@lethe/certificates';
import { reach } from '@lethe/config';
import { createKafka, createSafeProducer, ensureTopicsWith, kafkaPatience } from '@lethe/kafka';
import { openDatabase } from '@lethe/persistence';
import { CHECKPOINT_KEY_NAME } from './chain-lane';
import { ChainStore } from './chain-store';
import { Checkpointer } from './checkpointer';
import type { CheckpointerConfig } from './config';

/** Connects what the checkpointer needs (failing fast, naming what did not answer) and starts it. */
export async function startCheckpointer(config: CheckpointerConfig, onFatal: (error: Error) => void) {
  const db = await reach('PostgreSQL (DATABASE_URL)', () => openDatabase({ url: config.endpoints.databaseUrl, schema: config.databaseSchema, poolSize: 4 }));
  const kafka = createKafka({ brokers: config.endpoints.kafkaBrokers, clientId: 'lethe-checkpointer' });
  const patience = kafkaPatience(config.startupTimeoutMs);
  await reach('Kafka (KAFKA_BROKERS)', () => ensureTopicsWith(kafka, config.topics), patience);
  const producer = createSafeProducer(kafka);
  await reach('Kafka producer', () => producer.connect(), patience);
  const key = privateKeyFromSeed(config.keySeed);
  const { names } = config.topics;
  const checkpointer = new Checkpointer({
    kafka,
    producer,
    store: new ChainStore(db),
    key,
    logTopic: names.consentLog,
    auditTopic: names.consentAudit,
    groupId: config.groupId,
    everyRecords: config.everyRecords,
    intervalMs: config.intervalMs,
    onFatal,
  });
  await checkpointer.start();
  return {
    verifierKey: verifierKey(CHECKPOINT_KEY_NAME, key),
    stop: async () => {
      await checkpointer.stop();
      await producer.disconnect();
      await db.destroy();
    },
  };
}
