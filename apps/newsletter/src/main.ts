import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { logLevelsFrom, safeErrorSummary } from '@lethe/config';
import { NewsletterModule } from './app.module';
import { loadNewsletterConfig } from './config';
import { JobsServer } from './jobs-server';
import { connectNewsletterRuntime } from './runtime';

/**
 * A demo of a service that follows opt-outs: HTTP to queue issues, a Kafka-transport consumer
 * that sends them, and the consent guard that skips subjects who withdrew marketing.
 */
async function main(): Promise<void> {
  Logger.overrideLogger(logLevelsFrom(process.env));
  const logger = new Logger('newsletter');
  const config = loadNewsletterConfig(process.env);
  const runtime = await connectNewsletterRuntime(config);
  const app = await NestFactory.create<NestFastifyApplication>(NewsletterModule.forRuntime(runtime), new FastifyAdapter({ bodyLimit: 256 * 1024 }), { logger: config.logLevels });
  app.connectMicroservice({ strategy: new JobsServer(runtime.kafka, runtime.names.sendersGroup) });
  await app.init(); // starts the guard and waits until it has caught up with consent.state
  await app.startAllMicroservices();
  await app.listen(config.port, config.host);
  logger.log(`listening on http://${config.host}:${config.port}; sending jobs from ${runtime.names.jobsTopic} as consumer group ${runtime.names.sendersGroup}`);
  const stop = async () => {
    await app.close();
    await runtime.producer.disconnect().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: Error) => {
  console.error(`[newsletter] failed to start: ${safeErrorSummary(error)}`);
  process.exit(1);
});
