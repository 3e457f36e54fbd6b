import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Stops the local stack only if the test run started it, unless LETHE_KEEP_STACK=1. */
export default async function globalTeardown(): Promise<void> {
  if (process.env.LETHE_STACK_STARTED_BY_TESTS !== '1' || process.env.LETHE_KEEP_STACK === '1') return;
  spawnSync('bash', [resolve(__dirname, '../../../../deploy/local/stack.sh'), 'down'], { stdio: 'inherit' });
}
