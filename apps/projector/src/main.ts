import { Logger } from '@nestjs/common';
import { loadProjectorConfig } from './config';
import { startProjector } from './runtime';

async function main(): Promise<void> {
  const logger = new Logger('projector');
  const config = loadProjectorConfig(process.env);
  const running = await startProjector(config);
  logger.log(`folding consent.log into PostgreSQL as consumer group ${config.groupId}`);
  const stop = () => void running.stop().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  console.error(`[projector] failed to start: ${error.message}`);
  process.exit(1);
});
