import { Logger } from '@nestjs/common';
import { logLevelsFrom, safeErrorSummary } from '@lethe/config';
import { loadProjectorConfig } from './config';
import { startProjector } from './runtime';

async function main(): Promise<void> {
  Logger.overrideLogger(logLevelsFrom(process.env));
  const logger = new Logger('projector');
  const config = loadProjectorConfig(process.env);
  // A consumer that stopped for good must not leave a process that looks alive: exit, and let
  // the supervisor (or npm start) restart it from the offsets stored with the state.
  const running = await startProjector(config, (error) => {
    logger.error(`consumer stopped: ${safeErrorSummary(error)}`);
    process.exit(1);
  });
  logger.log(`folding ${config.topics.names.consentLog} into PostgreSQL as consumer group ${config.groupId}`);
  const stop = () => void running.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  console.error(`[projector] failed to start: ${safeErrorSummary(error)}`);
  process.exit(1);
});
