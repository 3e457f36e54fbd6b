import { positionOf } from './consumer-groups';

describe('positionOf', () => {
  it('counts what the group has not read, from the log start when it committed nothing', () => {
    const position = positionOf([
      { partition: 0, low: 0n, end: 10n, committed: 10n },
      { partition: 1, low: 0n, end: 30n, committed: null },
      { partition: 2, low: 5n, end: 5n, committed: null },
    ]);
    expect([position.lag, position.records, position.caughtUp]).toEqual([30n, 40n, 0.25]);
  });

  it('calls an empty log caught up, and never counts past the log end', () => {
    expect(positionOf([{ partition: 0, low: 0n, end: 0n, committed: null }]).caughtUp).toBe(1);
    expect(positionOf([{ partition: 0, low: 0n, end: 4n, committed: 9n }])).toMatchObject({ lag: 0n, caughtUp: 1 });
  });
});
