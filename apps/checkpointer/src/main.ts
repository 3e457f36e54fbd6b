import { Logger } from '@nestjs/common';
import { logLevelsFrom, safeErrorSummary } from '@lethe/config';
import { loadCheckpointerConfig } from './config';
import { startCheckpointer } from './runtime';

async function main(): Promise<void> {
  Logger.overrideLogger(logLevelsFrom(process.env));
  const logger = new Logger('checkpointer');
  const config = loadCheckpointerConfig(process.env);
  const running = await startCheckpointer(config, (error) => {
    logger.error(`stopped: ${safeErrorSummary(error)}`);
    process.exit(1);
  });
  if (config.developmentKey) logger.warn('signing checkpoints with the development key (LETHE_CHECKPOINT_KEY unset): they prove nothing to anyone else');
  logger.log(`checkpointing ${config.topics.names.consentLog} to ${config.topics.names.consentAudit}; verifier key ${running.verifierKey}`);
  const stop = () => void running.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  console.error(`[checkpointer] failed to start: ${safeErrorSummary(error)}`);
  process.exit(1);
});
