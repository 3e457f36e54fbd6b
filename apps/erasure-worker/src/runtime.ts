import { Logger } from '@nestjs/common';
import { reach, safeErrorSummary } from '@lethe/config';
import type { Connector } from '@lethe/connectors';
import type { SubjectState } from '@lethe/consent-domain';
import { ConsentEventCodec, consumerGroupsFor, subjectsFor } from '@lethe/contracts';
import { CoalescingKeyLookup, PostgresKeyStore } from '@lethe/identity-vault';
import { createKafka, createSafeProducer, ensureTopicsWith, groupAppenderToConsentLog, kafkaPatience, serveMetrics } from '@lethe/kafka';
import { openDatabase, OutstandingSteps } from '@lethe/persistence';
import type { WorkerConfig } from './config';
import { buildConnector } from './connectors';
import { StepRunner } from './step-runner';
import { exposeSystemGauges } from './system-gauges';
import { SystemConsumer } from './system-consumer';

export interface RunningWorker {
  consumers: SystemConsumer[];
  stop(): Promise<void>;
}

/**
 * Connects what the worker needs (failing fast, naming what did not answer), checks that every
 * system it runs answers and matches its configuration, then starts one consumer per system.
 */
export async function startWorker(
  config: WorkerConfig,
  onFatal: (error: Error) => void,
  options: { clientId?: string; groupIdOf?: (system: string) => string } = {},
): Promise<RunningWorker> {
  const logger = new Logger('erasure-worker');
  // Built first: a bad systems entry must stop the worker before anything connects.
  const connectors = config.systems.map((entry) => buildConnector(entry, config.endpoints.kafkaBrokers));
  const db = await reach('PostgreSQL (DATABASE_URL)', () => openDatabase({ url: config.endpoints.databaseUrl, schema: config.databaseSchema }));
  const kafka = createKafka({ brokers: config.endpoints.kafkaBrokers, clientId: options.clientId ?? 'lethe-erasure-worker' });
  const patience = kafkaPatience(config.startupTimeoutMs);
  await reach('Kafka (KAFKA_BROKERS)', () => ensureTopicsWith(kafka, config.topics), patience);
  const codec = ConsentEventCodec.forRegistry(config.endpoints.schemaRegistryUrl, subjectsFor(config.topics.names).consentLogValue);
  await reach('schema registry (SCHEMA_REGISTRY_URL)', () => codec.register());
  const producer = createSafeProducer(kafka);
  await reach('Kafka producer', () => producer.connect(), patience);
  await Promise.all(connectors.map((connector) => checkSystem(connector, logger)));

  // Many steps run at once (ADR 0021): their key look-ups share one query per turn of the event
  // loop, and their acknowledgements one produce request while the previous one is in flight.
  const keyStore = new CoalescingKeyLookup(new PostgresKeyStore(db, config.masterKey));
  const append = groupAppenderToConsentLog(producer, codec, config.topics.names.consentLog);
  const groups = consumerGroupsFor(config.topics.prefix);
  const groupIdOf = (system: string) => options.groupIdOf?.(system) ?? groups.erasureWorker(system);
  const consumers = config.systems.map((entry, i) => {
    const steps = new OutstandingSteps(db, entry.name);
    const runner = new StepRunner({ system: entry.name, connector: connectors[i], keyStore, steps, backoff: config.systemsFile.retry, append });
    return new SystemConsumer({
      participant: entry,
      kafka,
      producer,
      codec,
      topics: config.topics.names,
      runner,
      steps,
      projectedState: async (subjectId) => ((await db.query(`select state from subject_state where subject_id = $1`, [subjectId]))[0]?.state as SubjectState | undefined) ?? null,
      retryPollMs: config.retryPollMs,
      partitionsAtOnce: config.partitionsAtOnce,
      stepsAtOnce: config.stepsAtOnce,
      groupId: groupIdOf(entry.name),
      onFatal,
    });
  });
  for (const consumer of consumers) await consumer.start();
  const admin = kafka.admin();
  let metrics: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (config.metrics) {
    await admin.connect();
    exposeSystemGauges(admin, db, config.topics.names.consentLog, config.systems.map((entry) => ({ system: entry.name, groupId: groupIdOf(entry.name) })));
    metrics = await serveMetrics(config.metrics.port, config.metrics.host);
  }
  logger.log(`running ${config.systems.map((s) => `${s.name} (${s.type})`).join(', ')}`);
  return {
    consumers,
    stop: async () => {
      metrics?.close();
      await Promise.allSettled(consumers.map((consumer) => consumer.stop()));
      await Promise.allSettled(connectors.map((connector: Connector) => connector.close()));
      await producer.disconnect();
      await admin.disconnect();
      await db.destroy();
    },
  };
}

/**
 * A system that is down at start does not stop the others: its steps fail, are retried with
 * backoff and end visibly failed. Saying so at once saves an operator the wait.
 */
async function checkSystem(connector: Connector, logger: Logger): Promise<void> {
  try {
    await connector.testConnection();
  } catch (error) {
    logger.warn(`system ${connector.system} does not answer or does not match its configuration: ${safeErrorSummary(error)}`);
  }
}
