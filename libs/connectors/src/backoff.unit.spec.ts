import { retryDelayMs } from './backoff';

const policy = { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 10_000 };

describe('retryDelayMs', () => {
  it('doubles the ceiling each attempt and caps it', () => {
    expect(retryDelayMs(1, policy, () => 0.999)).toBe(999);
    expect(retryDelayMs(3, policy, () => 0.999)).toBe(3_996);
    expect(retryDelayMs(10, policy, () => 0.999)).toBe(9_990);
  });

  it('spreads retries with jitter but never retries at once', () => {
    expect(retryDelayMs(4, policy, () => 0)).toBe(500);
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(4, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
