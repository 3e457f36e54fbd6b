import { answer, AnswerPolicy } from './decision';

const strict: AnswerPolicy = { beforeReady: 'deny', whenNoRecord: 'deny', whenStale: 'deny' };
const granted = { decision: 'granted' as const, version: 4 };

describe('answer', () => {
  it('allows granted only, and no_record as whenNoRecord says', () => {
    expect(answer(granted, strict, true, false)).toEqual({ allowed: true, reason: 'granted', version: 4, stale: false });
    expect(answer({ decision: 'withdrawn', version: 5 }, strict, true, false)).toEqual({ allowed: false, reason: 'withdrawn', version: 5, stale: false });
    for (const decision of ['objected', 'opted_out', 'erased'] as const) expect(answer({ decision, version: 2 }, strict, true, false).allowed).toBe(false);
    expect(answer({ decision: 'no_record', version: null }, strict, true, false)).toEqual({ allowed: false, reason: 'no_record', version: null, stale: false });
    expect(answer({ decision: 'no_record', version: null }, { ...strict, whenNoRecord: 'allow' }, true, false).allowed).toBe(true);
  });

  it('denies before ready unless beforeReady is allow, which answers from memory', () => {
    expect(answer(granted, strict, false, false)).toEqual({ allowed: false, reason: 'not_ready', version: null, stale: false });
    expect(answer(granted, { ...strict, beforeReady: 'allow' }, false, false)).toEqual({ allowed: true, reason: 'granted', version: 4, stale: false });
  });

  it('denies when stale unless whenStale is answer, which flags the answer', () => {
    expect(answer(granted, strict, true, true)).toEqual({ allowed: false, reason: 'stale', version: null, stale: true });
    expect(answer(granted, { ...strict, whenStale: 'answer' }, true, true)).toEqual({ allowed: true, reason: 'granted', version: 4, stale: true });
  });

  it('says not_ready before stale', () => {
    expect(answer(granted, strict, false, true).reason).toBe('not_ready');
  });
});
