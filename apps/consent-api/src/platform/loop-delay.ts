import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * How late the event loop ran its timers over the last second, on average, in ms. A process
 * short of CPU reads requests late: they wait in the kernel, where no count of writes in
 * progress sees them, and time out there. This is the signal that the process itself is the bound.
 */
@Injectable()
export class LoopDelay implements OnApplicationShutdown {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private lastMs = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.lastMs = this.histogram.count > 0 ? this.histogram.mean / 1e6 : 0;
      this.histogram.reset();
    }, 1_000);
    this.timer.unref();
  }

  readonly current = (): number => this.lastMs;

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
