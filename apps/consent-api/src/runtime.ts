import { reach } from '@lethe/config';
import { ConsentEventCodec, subjectsFor } from '@lethe/contracts';
import { PostgresKeyStore } from '@lethe/identity-vault';
import { createKafka, createSafeProducer, ensureTopics, kafkaPatience } from '@lethe/kafka';
import { openDatabase } from '@lethe/persistence';
import type { ApiRuntime } from './app.module';
import type { ApiConfig } from './config';

/**
 * Connects everything the API needs, failing fast with the name of what did not answer:
 * migrations, topics (created with their configs), the schema registration, the producer.
 */
export async function connectApiRuntime(config: ApiConfig, clientId = 'lethe-consent-api'): Promise<ApiRuntime> {
  const db = await reach('PostgreSQL (DATABASE_URL)', () => openDatabase({ url: config.endpoints.databaseUrl, schema: config.databaseSchema }));
  const kafka = createKafka({ brokers: config.endpoints.kafkaBrokers, clientId });
  const admin = kafka.admin();
  const patience = kafkaPatience(config.startupTimeoutMs);
  await reach('Kafka (KAFKA_BROKERS)', async () => {
    await admin.connect();
    await ensureTopics(admin, config.topics);
  }, patience);
  const codec = ConsentEventCodec.forRegistry(config.endpoints.schemaRegistryUrl, subjectsFor(config.topics.names).consentLogValue);
  await reach('schema registry (SCHEMA_REGISTRY_URL)', () => codec.register());
  const producer = createSafeProducer(kafka);
  await reach('Kafka producer', () => producer.connect(), patience);
  return { config, db, admin, producer, codec, keyStore: new PostgresKeyStore(db, config.masterKey) };
}

export async function closeApiRuntime(runtime: ApiRuntime): Promise<void> {
  await runtime.producer.disconnect();
  await runtime.admin.disconnect();
  await runtime.db.destroy();
}

