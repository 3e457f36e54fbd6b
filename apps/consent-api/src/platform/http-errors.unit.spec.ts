import { OutageWarnings } from './http-errors';

describe('OutageWarnings', () => {
  it('warns at the first request an outage turns away, then every 10 s with the count in between', () => {
    let now = 0;
    const lines: string[] = [];
    const warnings = new OutageWarnings((line) => lines.push(line), () => now);
    for (; now < 25_000; now += 100) warnings.note('ECONNREFUSED');
    expect(lines).toEqual([
      'database unavailable: ECONNREFUSED; 1 request(s) answered 503 since the last warning',
      'database unavailable: ECONNREFUSED; 100 request(s) answered 503 since the last warning',
      'database unavailable: ECONNREFUSED; 100 request(s) answered 503 since the last warning',
    ]);
  });
});
