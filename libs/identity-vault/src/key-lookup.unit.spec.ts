import { CoalescingKeyLookup, KeysById } from './key-lookup';

/** A store whose keys a test can shred, counting the queries it is asked. */
function storeOf(keys: Map<string, Buffer>): KeysById & { queries: string[][] } {
  const queries: string[][] = [];
  return {
    queries,
    keysById: async (ids) => {
      queries.push([...ids]);
      return new Map(ids.flatMap((id) => (keys.has(id) ? [[id, keys.get(id) as Buffer] as const] : [])));
    },
  };
}

describe('CoalescingKeyLookup', () => {
  it('reads the keys asked for in one turn with one query, each caller getting its own', async () => {
    const keys = new Map([
      ['k1', Buffer.from('one')],
      ['k2', Buffer.from('two')],
    ]);
    const store = storeOf(keys);
    const lookup = new CoalescingKeyLookup(store);
    const found = await Promise.all(['k1', 'k2', 'k1', 'gone'].map((id) => lookup.keyById(id)));
    expect(found.map((key) => key?.toString() ?? null)).toEqual(['one', 'two', 'one', null]);
    expect(store.queries).toEqual([['k1', 'k2', 'gone']]);
  });

  it('keeps nothing between rounds: a key shredded after one round is absent in the next', async () => {
    const keys = new Map([['k1', Buffer.from('one')]]);
    const store = storeOf(keys);
    const lookup = new CoalescingKeyLookup(store);
    expect((await lookup.keyById('k1'))?.toString()).toBe('one');
    keys.delete('k1'); // shredded
    expect(await lookup.keyById('k1')).toBeNull();
    expect(store.queries).toHaveLength(2);
  });
});
