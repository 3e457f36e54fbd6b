import { BatchedLookup } from './batched-lookup';

const settled = () => new Promise((done) => setImmediate(done));

function controlledQueries() {
  const queries: { keys: string[]; answer: (values: Record<string, number>) => void; fail: (error: Error) => void }[] = [];
  const lookUpMany = (keys: string[]) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      queries.push({ keys, answer: (values) => resolve(new Map(Object.entries(values))), fail: reject });
    });
  return { queries, lookUpMany };
}

describe('BatchedLookup', () => {
  it('queries at once when idle, and gathers lookups made meanwhile into the next query', async () => {
    const { queries, lookUpMany } = controlledQueries();
    const lookup = new BatchedLookup(lookUpMany);
    const a = lookup.get('a');
    const b = lookup.get('b');
    const c = lookup.get('c');
    const bAgain = lookup.get('b');
    await settled();
    expect(queries.map((q) => q.keys)).toEqual([['a']]);
    queries[0].answer({ a: 1 });
    await expect(a).resolves.toBe(1);
    await settled();
    expect(queries.map((q) => q.keys)).toEqual([['a'], ['b', 'c']]);
    queries[1].answer({ b: 2 });
    await expect(Promise.all([b, c, bAgain])).resolves.toEqual([2, undefined, 2]);
  });

  it('fails the lookups of a failed query only', async () => {
    const { queries, lookUpMany } = controlledQueries();
    const lookup = new BatchedLookup(lookUpMany);
    const a = lookup.get('a');
    await settled();
    const b = lookup.get('b');
    queries[0].fail(new Error('database unavailable'));
    await expect(a).rejects.toThrow('database unavailable');
    await settled();
    queries[1].answer({ b: 2 });
    await expect(b).resolves.toBe(2);
  });

  it('never puts more than maxKeys in one query', async () => {
    const { queries, lookUpMany } = controlledQueries();
    const lookup = new BatchedLookup(lookUpMany, 2);
    void lookup.get('a');
    await settled();
    for (const key of ['b', 'c', 'd']) void lookup.get(key);
    queries[0].answer({});
    await settled();
    queries[1].answer({});
    await settled();
    expect(queries.map((q) => q.keys)).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('keeps up to maxQueries out at once', async () => {
    const { queries, lookUpMany } = controlledQueries();
    const lookup = new BatchedLookup(lookUpMany, 1_000, 2);
    for (const key of ['a', 'b', 'c', 'd']) void lookup.get(key);
    await settled();
    expect(queries.map((q) => q.keys)).toEqual([['a'], ['b']]);
    queries[1].answer({});
    await settled();
    expect(queries.map((q) => q.keys)).toEqual([['a'], ['b'], ['c', 'd']]);
  });
});
