import { BatchedCalls } from './batched-calls';

/** Looks up many keys in one round trip; keys it does not return have no value. */
export type LookUpMany<V> = (keys: string[]) => Promise<Map<string, V>>;

/**
 * Gathers concurrent lookups into few queries (BatchedCalls): up to `maxQueries` are out at once,
 * and lookups made while they are go together in the next, each key once (at most `maxKeys`
 * lookups per query). No answer is older than a single lookup of its own would be, since a lookup
 * never joins a query already sent.
 */
export class BatchedLookup<V> {
  private readonly calls: BatchedCalls<string, V | undefined>;

  constructor(lookUpMany: LookUpMany<V>, maxKeys = 1_000, maxQueries = 1) {
    this.calls = new BatchedCalls(async (keys) => {
      const values = await lookUpMany([...new Set(keys)]);
      return keys.map((key) => values.get(key));
    }, maxKeys, maxQueries);
  }

  get(key: string): Promise<V | undefined> {
    return this.calls.call(key);
  }
}
