import { Progress } from './progress';

describe('Progress', () => {
  it('reports what happened since the last report, over how long, and the running total', () => {
    let now = 0;
    const progress = new Progress(() => now);
    now = 10_000;
    expect(progress.report()).toBeNull();

    progress.add('completed');
    progress.add('completed');
    progress.add('retry-scheduled');
    now = 20_000;
    expect(progress.report()).toBe('3 step(s) in the last 10 s (completed 2, retry-scheduled 1); 3 since start');
    expect(progress.report()).toBeNull();

    progress.add('failed');
    now = 24_600;
    expect(progress.report()).toBe('1 step(s) in the last 5 s (failed 1); 4 since start');
  });
});
