import { Registry } from 'prom-client';
import { GuardMetrics } from './guard-metrics';

const sources = (stalenessMs = 1_500, subjects = 42) => ({ stalenessMs: () => stalenessMs, subjects: () => subjects });

async function values(registry: Registry, name: string) {
  return (await registry.getSingleMetric(name)?.get())?.values.map(({ labels, value }) => ({ labels, value }));
}

describe('GuardMetrics', () => {
  it('adds tallied decisions on collection, and sets staleness and subjects', async () => {
    const registry = new Registry();
    const metrics = new GuardMetrics(registry, 'shop', sources());
    const tally = metrics.decisionTally('marketing');
    tally.allowed += 3;
    tally.restricted += 1;
    expect(metrics.decisionTally('marketing')).toBe(tally);
    expect(await values(registry, 'lethe_guard_decisions_total')).toEqual([
      { labels: { service: 'shop', purpose: 'marketing', outcome: 'allowed' }, value: 3 },
      { labels: { service: 'shop', purpose: 'marketing', outcome: 'restricted' }, value: 1 },
    ]);
    tally.allowed += 2;
    expect((await values(registry, 'lethe_guard_decisions_total'))?.[0].value).toBe(5);
    expect(await values(registry, 'lethe_guard_staleness_seconds')).toEqual([{ labels: { service: 'shop' }, value: 1.5 }]);
    expect(await values(registry, 'lethe_guard_subjects')).toEqual([{ labels: { service: 'shop' }, value: 42 }]);
  });

  it('lets two guards share one registry without a duplicate-name error, each with its labels', async () => {
    const registry = new Registry();
    const a = new GuardMetrics(registry, 'a', sources(0, 1));
    const b = new GuardMetrics(registry, 'b', sources(0, 2));
    a.countSkipped('SALE');
    b.countSkipped('SALE');
    b.countSkipped('SALE');
    expect(await values(registry, 'lethe_guard_skipped_messages_total')).toEqual([
      { labels: { service: 'a', purpose: 'SALE' }, value: 1 },
      { labels: { service: 'b', purpose: 'SALE' }, value: 2 },
    ]);
    expect(await values(registry, 'lethe_guard_subjects')).toEqual([
      { labels: { service: 'a' }, value: 1 },
      { labels: { service: 'b' }, value: 2 },
    ]);
  });

  it('reports what is left on close, then stops refreshing', async () => {
    const registry = new Registry();
    const metrics = new GuardMetrics(registry, 'shop', sources());
    metrics.decisionTally('marketing').restricted++;
    metrics.close();
    metrics.decisionTally('marketing').restricted++;
    expect(await values(registry, 'lethe_guard_decisions_total')).toEqual([{ labels: { service: 'shop', purpose: 'marketing', outcome: 'restricted' }, value: 1 }]);
  });

  it('with metrics off, registers nothing anywhere', () => {
    const metrics = new GuardMetrics(false, 'shop', sources());
    metrics.countSkipped('SALE');
    metrics.decisionTally('SALE').allowed++;
    expect(() => metrics.refresh()).not.toThrow();
  });
});
