/** Answers many calls at once: one result per item, in the items' order. */
export type CallMany<T, R> = (items: T[]) => Promise<R[]>;

interface Waiting<T, R> {
  item: T;
  done: (result: R) => void;
  failed: (error: unknown) => void;
}

/**
 * Gathers concurrent calls into few round trips: up to `maxCalls` are out at once, and calls made
 * while they are wait for one to return and then go together in the next (at most `maxItems`
 * each). An idle caller goes at once, so nothing waits for a batch to fill; no call joins one
 * already sent, so every answer comes from a round trip made after its caller asked. Each item
 * is its own call (two equal items are asked twice); a failed round trip fails its callers only.
 */
export class BatchedCalls<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private out = 0;

  constructor(
    private readonly callMany: CallMany<T, R>,
    private readonly maxItems = 1_000,
    private readonly maxCalls = 1,
  ) {}

  call(item: T): Promise<R> {
    return new Promise((done, failed) => {
      this.waiting.push({ item, done, failed });
      if (this.out < this.maxCalls) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.out++;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.maxItems);
        try {
          const results = await this.callMany(batch.map((waiting) => waiting.item));
          if (results.length !== batch.length) throw new Error(`a batch of ${batch.length} calls got ${results.length} results`);
          batch.forEach((waiting, n) => waiting.done(results[n]));
        } catch (error) {
          for (const waiting of batch) waiting.failed(error);
        }
      }
    } finally {
      this.out--;
    }
  }
}
