import { FreshnessClock } from './freshness-clock';

describe('FreshnessClock', () => {
  it('counts from start until the first confirmation', () => {
    const clock = new FreshnessClock(1_000, 2_000);
    expect(clock.stalenessMs(1_500)).toBe(500);
  });

  it('reads 0 while confirmations are recent, then the time since the last one', () => {
    const clock = new FreshnessClock(0, 2_000);
    clock.confirm(10_000);
    expect(clock.stalenessMs(11_999)).toBe(0);
    expect(clock.stalenessMs(14_500)).toBe(4_500);
    clock.confirm(14_000);
    expect(clock.stalenessMs(14_500)).toBe(0);
  });

  it('keeps the latest confirmation when an older one arrives late', () => {
    const clock = new FreshnessClock(0, 0);
    clock.confirm(9_000);
    clock.confirm(5_000);
    expect(clock.stalenessMs(10_000)).toBe(1_000);
  });
});
