import { RegistryUnavailableError } from '@lethe/contracts';
import { registryUnavailableTotal } from './metrics';

export interface OutageRetryOptions {
  /** The consumer group, for the log line and the metric label. */
  group: string;
  log: { warn(line: string): void; log(line: string): void };
  /** False once the records are no longer ours (stopping, rebalanced): give up, Kafka redelivers them. */
  stillWanted: () => boolean;
  /** Keeps the group membership alive while waiting. */
  heartbeat: () => Promise<void>;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Runs `attempt` (a decode) until the schema registry answers. An unavailable registry is an
 * outage, not a bad record: the caller's records wait, uncommitted, with exponential backoff,
 * each failure logged and counted in lethe_registry_unavailable_total. Other errors pass through.
 */
export async function retryWhileRegistryUnavailable<T>(attempt: () => Promise<T>, options: OutageRetryOptions): Promise<T> {
  const maxDelay = options.maxDelayMs ?? 10_000;
  let delay = options.firstDelayMs ?? 200;
  for (let failures = 0; ; failures++) {
    try {
      const result = await attempt();
      if (failures > 0) options.log.log(`schema registry answers again after ${failures} failed attempt(s); resuming`);
      return result;
    } catch (error) {
      if (!(error instanceof RegistryUnavailableError) || !options.stillWanted()) throw error;
      registryUnavailableTotal.inc({ group: options.group });
      options.log.warn(`${error.message}; retrying in ${delay} ms (records wait, none is dead-lettered)`);
      await new Promise((done) => setTimeout(done, delay));
      await options.heartbeat();
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}
