import { Counter, register, Registry } from 'prom-client';
import type { ConsentGuardOptions } from './core';

/** The core's metric of skipped messages; the interceptor's skips count there too. */
export const SKIPPED_MESSAGES_METRIC = 'lethe_guard_skipped_messages_total';

/**
 * Counts a handler's skipped messages in the guard's own counter, found by its name in the
 * registry the guard was given (prom-client's global one by default), so the core and the
 * interceptor never count in two places. With metrics off it counts nothing.
 */
export class SkipCounter {
  private constructor(
    private readonly registry: Registry | null,
    private readonly service: string,
  ) {}

  static forOptions(options: Pick<ConsentGuardOptions, 'metrics' | 'service'>): SkipCounter {
    return new SkipCounter(options.metrics === false ? null : options.metrics ?? register, options.service);
  }

  count(purpose: string): void {
    const counter = this.registry?.getSingleMetric(SKIPPED_MESSAGES_METRIC) as Counter<'service' | 'purpose'> | undefined;
    counter?.inc({ service: this.service, purpose });
  }
}
