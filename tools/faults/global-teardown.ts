import { stackCommand } from './cluster';
import { faultsStack } from './env';
import { suiteRedis } from './redis-server';

/** Stops what the set-up started (data is kept under the stack dir), unless LETHE_KEEP_STACK=1. */
export default async function globalTeardown(): Promise<void> {
  if (process.env.LETHE_KEEP_STACK === '1') return;
  const stack = faultsStack();
  await suiteRedis(stack).stop();
  stackCommand(['down'], stack);
}
