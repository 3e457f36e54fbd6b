import { Batches } from './batches';
import { Slots } from './slots';

const settled = <R>(values: (R | Error)[]): PromiseSettledResult<R>[] =>
  values.map((value) => (value instanceof Error ? { status: 'rejected', reason: value } : { status: 'fulfilled', value }));

describe('Batches', () => {
  it('runs an item alone when a slot is free, and gathers those that arrive meanwhile, in order, up to the maximum', async () => {
    const runs: number[][] = [];
    const batches = new Batches<number, number>(new Slots(1), 3, async (items) => {
      runs.push(items);
      await new Promise((done) => setTimeout(done, 10));
      return settled(items.map((n) => n * 10));
    });
    const first = batches.submit(0);
    await new Promise((done) => setImmediate(done));
    const rest = [1, 2, 3, 4, 5].map((n) => batches.submit(n));
    await expect(Promise.all([first, ...rest])).resolves.toEqual([0, 10, 20, 30, 40, 50]);
    expect(runs).toEqual([[0], [1, 2, 3], [4, 5]]);
  });

  it('settles each item of a batch on its own, and fails the whole batch when the run throws', async () => {
    let call = 0;
    const batches = new Batches<number, number>(new Slots(1), 10, async (items) => {
      call += 1;
      if (call === 3) throw new Error('connection lost');
      return settled(items.map((n) => (n === 1 ? new Error('step 1 failed') : n)));
    });
    // 0 finds the slot free and runs alone; 1 and 2 run together after it.
    const results = await Promise.allSettled([0, 1, 2].map((n) => batches.submit(n)));
    expect(call).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([0, 'step 1 failed', 2]);
    const later = await Promise.allSettled([3, 4].map((n) => batches.submit(n)));
    expect(later.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['connection lost', 'connection lost']);
  });
});
