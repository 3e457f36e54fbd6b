import { partitionWatermarks, Progress, Watermarks } from './progress';

function watermarks(topics: Record<string, [low: number, high: number][]>): Watermarks {
  return { fetchedAt: 0, topics: new Map(Object.entries(topics).map(([topic, parts]) => [topic, parts.map(([low, high], partition) => ({ partition, low, high }))])) };
}

describe('Progress', () => {
  it('has reached empty topics at once, and partitions with nothing left to read', () => {
    expect(new Progress().reached(watermarks({ a: [[0, 0]], b: [[0, 0], [5, 5]] }))).toBe(true);
  });

  it('reaches the watermarks once every partition is consumed up to its high watermark', () => {
    const progress = new Progress();
    const target = watermarks({ a: [[0, 3], [0, 2]], b: [[0, 1]] });
    progress.advance('a', 0, 3);
    progress.advance('b', 0, 1);
    expect(progress.reached(target)).toBe(false);
    expect(progress.describe(target)).toBe('a: 3 of 5 offsets consumed, 1 of 2 partition(s) behind; b: 1 of 1 offsets consumed, 0 of 1 partition(s) behind');
    progress.advance('a', 1, 2);
    expect(progress.reached(target)).toBe(true);
  });

  it('never moves back, so a replay after a rejoin is passed over', () => {
    const progress = new Progress();
    progress.advance('a', 0, 10);
    progress.advance('a', 0, 4);
    expect(progress.position('a', 0)).toBe(10);
    expect(progress.position('a', 1)).toBe(0);
  });

  it('reads kafkajs offsets as numbers', () => {
    expect(partitionWatermarks([{ partition: 2, low: '1', high: '7' }])).toEqual([{ partition: 2, low: 1, high: 7 }]);
  });
});
