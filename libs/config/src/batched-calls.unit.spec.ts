import { BatchedCalls } from './batched-calls';

const settled = () => new Promise((done) => setImmediate(done));

describe('BatchedCalls', () => {
  it('asks equal items once each, in order, and gives every caller the result of its own item', async () => {
    const batches: string[][] = [];
    let answer: () => void = () => undefined;
    const calls = new BatchedCalls<string, string>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((done) => (answer = done));
      return items.map((item, n) => `${item}#${n}`);
    });
    const first = calls.call('a');
    const rest = [calls.call('b'), calls.call('a'), calls.call('b')];
    await settled();
    expect(batches).toEqual([['a']]);
    answer();
    await expect(first).resolves.toBe('a#0');
    await expect(Promise.all(rest)).resolves.toEqual(['b#0', 'a#1', 'b#2']);
    expect(batches).toEqual([['a'], ['b', 'a', 'b']]);
  });

  it('fails the callers of a failed round trip only', async () => {
    let fail = true;
    const calls = new BatchedCalls<number, number>(async (items) => {
      if (fail) throw new Error('database unavailable');
      return items;
    });
    await expect(calls.call(1)).rejects.toThrow('database unavailable');
    fail = false;
    await expect(calls.call(2)).resolves.toBe(2);
  });
});
