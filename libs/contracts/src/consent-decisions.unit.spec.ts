import { compileDecisions, decisionFor } from './consent-decisions';
import type { ConsentState } from './generated/consent-state';

const state = (fields: Partial<ConsentState>): ConsentState => ({
  subject_id: 'subj-d1',
  version: 5,
  updated_at: 0,
  purposes: {},
  opt_outs: [],
  objections: [],
  erasure: 'NONE',
  erasures: [],
  ...fields,
});
const purpose = (status: 'GRANTED' | 'WITHDRAWN', version: number) => ({ status, policy_version: null, at: 0, version });

describe('decisionFor', () => {
  it('reads a purpose status, and no_record for what the subject never granted nor withdrew', () => {
    const s = state({ purposes: { marketing: purpose('GRANTED', 1), analytics: purpose('WITHDRAWN', 2) } });
    expect([decisionFor(s, 'marketing'), decisionFor(s, 'analytics'), decisionFor(s, 'ads')]).toEqual(['granted', 'withdrawn', 'no_record']);
  });

  it('puts erasure before objection before opt-out before the purpose status', () => {
    const s = state({ purposes: { SALE: purpose('GRANTED', 1) }, opt_outs: ['SALE'], objections: ['marketing'] });
    expect([decisionFor(s, 'SALE'), decisionFor(s, 'marketing')]).toEqual(['opted_out', 'objected']);
    expect(decisionFor({ ...s, objections: ['*'] }, 'SALE')).toBe('objected');
    expect(decisionFor({ ...s, erasures: [{ scope: 'ALL', purposes: [], version: 2, open: false }] }, 'SALE')).toBe('erased');
  });

  it('lifts an erasure only for a purpose granted after it', () => {
    const erasures = [{ scope: 'ALL' as const, purposes: [], version: 3, open: false }];
    const s = state({ purposes: { before: purpose('GRANTED', 2), after: purpose('GRANTED', 4), withdrawnAfter: purpose('WITHDRAWN', 4) }, erasures });
    expect(['before', 'after', 'withdrawnAfter', 'other'].map((name) => decisionFor(s, name))).toEqual(['erased', 'granted', 'erased', 'erased']);
    const scoped = state({ purposes: { marketing: purpose('GRANTED', 1) }, erasures: [{ scope: 'PURPOSES', purposes: ['analytics'], version: 3, open: true }] });
    expect([decisionFor(scoped, 'marketing'), decisionFor(scoped, 'analytics')]).toEqual(['granted', 'erased']);
  });

  it('reads a state written before erasures were recorded as erased everywhere, whatever was granted', () => {
    const old = state({ purposes: { marketing: purpose('GRANTED', 0) }, erasure: 'COMPLETED', erasures: [] });
    expect(decisionFor(old, 'marketing')).toBe('erased');
  });

  it('does not read inherited properties as purposes', () => {
    expect(decisionFor(state({}), 'constructor')).toBe('no_record');
  });
});

describe('compileDecisions', () => {
  it('answers every name as decisionFor does', () => {
    const s = state({
      purposes: { marketing: purpose('GRANTED', 4), analytics: purpose('WITHDRAWN', 1) },
      opt_outs: ['SHARING'],
      objections: ['profiling'],
      erasures: [{ scope: 'PURPOSES', purposes: ['email'], version: 2, open: false }],
    });
    const compiled = compileDecisions(s);
    for (const name of ['marketing', 'analytics', 'SHARING', 'SALE', 'profiling', 'email', 'unknown']) {
      expect([name, compiled.names.get(name) ?? compiled.others]).toEqual([name, decisionFor(s, name)]);
    }
    expect(compiled.version).toBe(5);
  });
});
