import { PendingRepairs } from './pending-repairs';

describe('PendingRepairs', () => {
  it('keeps, per partition, the version a subject was last published at', () => {
    const pending = new PendingRepairs();
    pending.note(1, new Map([['a', 3], ['b', 5]]));
    pending.note(1, new Map([['a', 4]]));
    pending.note(2, new Map([['c', 1]]));
    pending.note(3, new Map());
    expect(pending.partitions().sort()).toEqual([1, 2]);
    expect(pending.subjects).toBe(3);
    expect(pending.take(1)).toEqual(new Map([['a', 4], ['b', 5]]));
    expect(pending.partitions()).toEqual([2]);
  });

  it('gives back what a repair could not do, without losing or overwriting what was noted meanwhile', () => {
    const pending = new PendingRepairs();
    pending.note(1, new Map([['a', 3], ['b', 5]]));
    const taken = pending.take(1);
    pending.note(1, new Map([['a', 7], ['c', 2]]));
    pending.giveBack(1, taken);
    expect(pending.take(1)).toEqual(new Map([['a', 7], ['b', 5], ['c', 2]]));
    pending.giveBack(4, new Map([['d', 1]]));
    expect(pending.take(4)).toEqual(new Map([['d', 1]]));
    expect(pending.subjects).toBe(0);
  });
});
