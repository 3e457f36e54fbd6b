import { HttpException, HttpStatus } from '@nestjs/common';

const MINUTE_MS = 60_000;
/** Counters kept at most; the oldest windows go first (an attacker with many addresses cannot grow it). */
const MAX_COUNTERS = 50_000;

/** Hits per key in fixed one-minute windows. */
export class WindowCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the key may go on, 0 when it is under its limit now. Does not count. */
  wait(key: string): number {
    const window = this.windows.get(key);
    const now = this.now();
    return window && window.resetAt > now && window.count >= this.max ? window.resetAt - now : 0;
  }

  /** Counts one hit, and returns what `wait` returns after it. */
  hit(key: string): number {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      this.windows.delete(key);
      if (this.windows.size >= MAX_COUNTERS) this.windows.delete(this.windows.keys().next().value as string);
      window = { count: 0, resetAt: now + MINUTE_MS };
      this.windows.set(key, window);
    }
    window.count++;
    return window.count > this.max ? window.resetAt - now : 0;
  }
}

/** 429, answered with Retry-After (platform/http-errors.ts sets the header). */
export class RateLimitedException extends HttpException {
  readonly retryAfterSeconds: number;

  constructor(what: string, waitMs: number) {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    super(`${what}; retry after ${seconds} s`, HttpStatus.TOO_MANY_REQUESTS);
    this.retryAfterSeconds = seconds;
  }
}

/**
 * What the API lets a caller do in a minute: requests per API key, counted by key id once the key
 * is known (so no spelling of it gets a bucket of its own), and failed authentications per client
 * address, checked before the key is looked up, so a flood of made-up keys is turned away without
 * a database query each. Requests without any key are limited per address by @fastify/rate-limit.
 */
export class RateLimits {
  private readonly perKey: WindowCounter;
  private readonly failures: WindowCounter;

  constructor(limits: { perKeyPerMinute: number; authFailuresPerMinute: number }) {
    this.perKey = new WindowCounter(limits.perKeyPerMinute);
    this.failures = new WindowCounter(limits.authFailuresPerMinute);
  }

  /** Throws when the address has failed to authenticate too often this minute. */
  checkAddress(address: string): void {
    const wait = this.failures.wait(address);
    if (wait > 0) throw new RateLimitedException(`more than ${this.failures.max} failed authentications per minute from this address`, wait);
  }

  failedAuthentication(address: string): void {
    this.failures.hit(address);
  }

  /** Counts a request of an authenticated key; throws past its limit. */
  countRequest(keyId: string): void {
    const wait = this.perKey.hit(keyId);
    if (wait > 0) throw new RateLimitedException(`more than ${this.perKey.max} requests per minute with this API key`, wait);
  }
}
