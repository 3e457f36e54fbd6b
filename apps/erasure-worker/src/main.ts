import { Logger } from '@nestjs/common';
import { loadWorkerConfig } from './config';
import { startWorker } from './runtime';
import { safeErrorSummary } from '@lethe/config';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  Logger.overrideLogger(config.logLevels);
  const logger = new Logger('erasure-worker');
  if (config.developmentMasterKey) {
    logger.warn('LETHE_MASTER_KEY is not set: using the local development key (never do this with real data)');
  }
  // A consumer that stopped for good must not leave a process that looks alive: exit, and let
  // the supervisor restart it from its committed offsets (every step is idempotent).
  const running = await startWorker(config, (error) => {
    logger.error(`a system's consumer stopped: ${safeErrorSummary(error)}`);
    process.exit(1);
  });
  const stop = () => void running.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  console.error(`[erasure-worker] failed to start: ${safeErrorSummary(error)}`);
  process.exit(1);
});
