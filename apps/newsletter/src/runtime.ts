import { Logger } from '@nestjs/common';
import { reach } from '@lethe/config';
import { topicsFor } from '@lethe/contracts';
import { createKafka, createSafeProducer, kafkaPatience } from '@lethe/kafka';
import type { Kafka, Producer } from 'kafkajs';
import type { NewsletterConfig } from './config';
import { NewsletterMetrics } from './metrics';
import { newsletterNames } from './names';

/** What main.ts connects before the app is built. */
export interface NewsletterRuntime {
  config: NewsletterConfig;
  kafka: Kafka;
  producer: Producer;
  metrics: NewsletterMetrics;
  names: ReturnType<typeof newsletterNames>;
}

/** Connects the producer and creates the jobs topic when missing, naming what did not answer. */
export async function connectNewsletterRuntime(config: NewsletterConfig): Promise<NewsletterRuntime> {
  const kafka = createKafka({ brokers: config.endpoints.kafkaBrokers, clientId: 'newsletter' });
  const names = newsletterNames(config.topicPrefix);
  const patience = kafkaPatience(config.startupTimeoutMs);
  await reach('Kafka (KAFKA_BROKERS)', () => ensureJobsTopic(kafka, names.jobsTopic, config.jobPartitions), patience);
  await lethesTopics(kafka, config);
  const producer = createSafeProducer(kafka);
  await reach('Kafka producer', () => producer.connect(), patience);
  return { config, kafka, producer, metrics: new NewsletterMetrics(), names };
}

/**
 * Waits (up to LETHE_STACK_TIMEOUT) for the topics the guard follows. They are Lethe's, created by
 * its apps (consent-api first of all), never by a service that follows them.
 */
async function lethesTopics(kafka: Kafka, config: NewsletterConfig): Promise<void> {
  const { consentState, optOuts } = topicsFor(config.topicPrefix);
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + config.startupTimeoutMs;
  try {
    for (let waiting = false; ; waiting = true) {
      const present = new Set(await admin.listTopics());
      const missing = [consentState, optOuts].filter((topic) => !present.has(topic));
      if (missing.length === 0) return;
      if (Date.now() >= deadline) throw new Error(`Lethe's topics ${missing.join(' and ')} do not exist after ${config.startupTimeoutMs / 1000} s: is consent-api running with this LETHE_TOPIC_PREFIX?`);
      if (!waiting) new Logger('newsletter').log(`waiting for ${missing.join(' and ')} (made by Lethe's consent-api)`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await admin.disconnect();
  }
}

async function ensureJobsTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) return;
    const { brokers } = await admin.describeCluster();
    // false when another instance created it meanwhile: fine, it exists.
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: Math.min(3, brokers.length) }] });
  } finally {
    await admin.disconnect();
  }
}
