import { Slots } from './slots';

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the items submitted while every slot is busy into batches of up to `maxBatch`, one
 * batch per slot, in arrival order: an item that finds a slot free runs at once, alone, so batching
 * adds no wait when the system keeps up. `run` settles each item of its batch on its own; if it
 * throws, every item of the batch fails with that error.
 */
export class Batches<T, R> {
  private readonly queue: Waiting<T, R>[] = [];

  constructor(
    private readonly slots: Slots,
    private readonly maxBatch: number,
    private readonly run: (items: T[]) => Promise<PromiseSettledResult<R>[]>,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // One slot request per item; a holder takes whatever waits by then, so a later request may find nothing left.
      void this.slots.run(() => this.runNext());
    });
  }

  private async runNext(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    let results: PromiseSettledResult<R>[];
    try {
      results = await this.run(batch.map((waiting) => waiting.item));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, i) => {
      const result = results[i];
      if (result.status === 'fulfilled') waiting.resolve(result.value);
      else waiting.reject(result.reason);
    });
  }
}
