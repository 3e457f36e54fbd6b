import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApiApp } from './app';
import { loadApiConfig } from './config';
import { closeApiRuntime, connectApiRuntime } from './runtime';
import { safeErrorSummary } from '@lethe/config';

async function main(): Promise<void> {
  const logger = new Logger('consent-api');
  const config = loadApiConfig(process.env);
  if (config.developmentMasterKey) {
    logger.warn('LETHE_MASTER_KEY is not set: using the local development key (never do this with real data)');
  }
  if (config.developmentSigningKey) {
    logger.warn('LETHE_SIGNING_KEY is not set: certificates are signed with the local development key (they prove nothing to anyone else)');
  }
  const runtime = await connectApiRuntime(config);
  const app = await createApiApp(runtime);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  logger.log(`listening on http://${config.host}:${config.port} (OpenAPI at /docs, metrics at /metrics)`);
  const stop = async () => {
    await app.close();
    await closeApiRuntime(runtime).catch(() => undefined);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((error: Error) => {
  console.error(`[consent-api] failed to start: ${safeErrorSummary(error)}`);
  process.exit(1);
});
