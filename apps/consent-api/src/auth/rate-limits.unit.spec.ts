import { WindowCounter } from './rate-limits';

describe('WindowCounter', () => {
  it('lets max hits through in a minute, then says how long to wait, and starts afresh after it', () => {
    let now = 1_000_000;
    const counter = new WindowCounter(2, () => now);
    expect([counter.hit('a'), counter.hit('a')]).toEqual([0, 0]);
    expect(counter.wait('a')).toBe(60_000);
    now += 15_000;
    expect(counter.hit('a')).toBe(45_000);
    expect(counter.wait('b')).toBe(0);
    now += 45_000;
    expect(counter.wait('a')).toBe(0);
    expect(counter.hit('a')).toBe(0);
  });
});
