/** Looks up many keys in one round trip; keys it does not return have no value. */
export type LookUpMany<V> = (keys: string[]) => Promise<Map<string, V>>;

interface Asker<V> {
  found: (value: V | undefined) => void;
  failed: (error: unknown) => void;
}

/**
 * Gathers concurrent lookups into few queries: up to `maxQueries` are out at once, and lookups
 * made while they are wait for one to return and then go together in the next (at most `maxKeys`
 * per query). No answer is older than a single lookup of its own would be, since a lookup never
 * joins a query already sent.
 */
export class BatchedLookup<V> {
  private waiting = new Map<string, Asker<V>[]>();
  private querying = 0;

  constructor(
    private readonly lookUpMany: LookUpMany<V>,
    private readonly maxKeys = 1_000,
    private readonly maxQueries = 1,
  ) {}

  get(key: string): Promise<V | undefined> {
    return new Promise((found, failed) => {
      const askers = this.waiting.get(key);
      if (askers) askers.push({ found, failed });
      else this.waiting.set(key, [{ found, failed }]);
      if (this.querying < this.maxQueries) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.querying++;
    try {
      while (this.waiting.size > 0) {
        const batch = new Map([...this.waiting].slice(0, this.maxKeys));
        for (const key of batch.keys()) this.waiting.delete(key);
        try {
          const values = await this.lookUpMany([...batch.keys()]);
          for (const [key, askers] of batch) for (const asker of askers) asker.found(values.get(key));
        } catch (error) {
          for (const askers of batch.values()) for (const asker of askers) asker.failed(error);
        }
      }
    } finally {
      this.querying--;
    }
  }
}
