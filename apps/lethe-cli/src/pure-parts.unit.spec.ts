import { subjectOn } from '@lethe/testing';
import { instantFrom } from './instants';
import { Progress } from './progress';
import { firstDifference } from './projection-diff';
import { partitionOf } from './subject-timeline';

describe('as-of --at', () => {
  it('reads an ISO time or a list of partition:offset positions', () => {
    expect(instantFrom('2026-03-03T12:00:00Z')).toEqual({ time: Date.parse('2026-03-03T12:00:00Z') });
    expect(instantFrom('2026-03-03')).toEqual({ time: Date.parse('2026-03-03') });
    expect(instantFrom('3:17')).toEqual({ positions: new Map([[3, 17n]]) });
    expect(instantFrom('0:120,1:98')).toEqual({ positions: new Map([[0, 120n], [1, 98n]]) });
  });

  it('refuses anything else without quoting it', () => {
    for (const value of ['yesterday', '1:2,1:3', '7:', '2026-13-45', 'ada@example.com']) {
      expect(() => instantFrom(value)).toThrow(/^--at (must be|names a partition twice)/);
      try {
        instantFrom(value);
      } catch (error) {
        expect((error as Error).message).not.toContain(value);
      }
    }
  });
});

describe('firstDifference', () => {
  it('names the first differing path in sorted key order, depth first', () => {
    const a = { state: { purposes: { marketing: { status: 'granted', at: 1 } }, version: 2 }, subject_id: 's' };
    const b = { state: { purposes: { marketing: { status: 'withdrawn', at: 1 } }, version: 3 }, subject_id: 's' };
    expect(firstDifference(a, b, '')).toEqual({ field: 'state.purposes.marketing.status', a: 'granted', b: 'withdrawn' });
    expect(firstDifference({ ids: ['x', 'y'] }, { ids: ['x', 'z'] }, '')).toEqual({ field: 'ids[1]', a: 'y', b: 'z' });
    expect(firstDifference({ ids: ['x'] }, { ids: ['x', 'z'] }, '')).toEqual({ field: 'ids', a: ['x'], b: ['x', 'z'] });
    expect(firstDifference({ n: 1, m: { k: [1] } }, { m: { k: [1] }, n: 1 }, '')).toBeUndefined();
  });
});

describe('partitionOf', () => {
  it("agrees with the producers' default partitioner", () => {
    for (const partition of [0, 3, 5]) expect(partitionOf(subjectOn(partition, 6), 6)).toBe(partition);
  });
});

describe('Progress', () => {
  it('shows done of total, rate and ETA at most once a second, and nothing when quiet', () => {
    let now = 0;
    const lines: string[] = [];
    const io = { out: () => undefined, err: (line: string) => lines.push(line) };
    const progress = new Progress(io, 'rebuild: events', 10_000, false, () => now);
    now = 500;
    progress.advance(1_000);
    expect(lines).toEqual([]);
    now = 2_000;
    progress.advance(1_000);
    expect(lines).toEqual(['rebuild: events: 2,000 of 10,000 (20.0%), 1,000/s, ETA 8 s']);
    now = 10_000;
    progress.advance(8_000);
    progress.finish();
    expect(lines.at(-1)).toBe('rebuild: events: 10,000 of 10,000 (100.0%), 1,000/s, done');
    const quiet: string[] = [];
    const silent = new Progress({ out: () => undefined, err: (line) => quiet.push(line) }, 'x', 10, true, () => (now += 5_000));
    silent.advance(5);
    silent.finish();
    expect(quiet).toEqual([]);
  });
});
