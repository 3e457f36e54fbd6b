export interface BackoffPolicy {
  /** Attempts in all, the first included; the last failure is reported as final. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { maxAttempts: 6, initialDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

/**
 * Exponential backoff with full jitter: a random delay up to initial * 2^(attempt-1), capped, so
 * many failed requests do not all retry at the same instant. `random` is injected for tests.
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(policy.initialDelayMs / 2, Math.floor(random() * ceiling));
}
