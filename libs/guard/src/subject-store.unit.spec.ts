import fc from 'fast-check';
import { compileDecisions, ConsentState, decisionFor, OptOutNotice } from '@lethe/contracts';
import { SubjectStore } from './subject-store';

const NAMES = ['marketing', 'analytics', 'SALE', 'PROFILING', 'other'];

function state(version: number, overrides: Partial<ConsentState> = {}): ConsentState {
  return { subject_id: 's-1', version, updated_at: 0, purposes: {}, opt_outs: [], objections: [], erasure: 'NONE', erasures: [], ...overrides };
}

function notice(version: number, overrides: Partial<OptOutNotice> = {}): OptOutNotice {
  return {
    subject_id: 's-1',
    version,
    change: 'RESTRICTED',
    cause: 'WITHDRAWN',
    all: false,
    purposes: ['marketing'],
    opt_outs: [],
    jurisdiction: 'GDPR',
    effective_at: 0,
    recorded_at: 0,
    cause_event_id: `e-${version}`,
    log_partition: 0,
    log_offset: version,
    ...overrides,
  };
}

const granted = (version: number) => ({ status: 'GRANTED' as const, policy_version: null, at: 0, version });
const withdrawn = (version: number) => ({ status: 'WITHDRAWN' as const, policy_version: null, at: 0, version });

const arbitraryState = fc
  .record({
    version: fc.integer({ min: 1, max: 50 }),
    marketing: fc.constantFrom('GRANTED', 'WITHDRAWN', undefined),
    objections: fc.subarray(['marketing', '*']),
    opt_outs: fc.subarray(['SALE', 'PROFILING'] as const),
    erasedAll: fc.boolean(),
  })
  .map(({ version, marketing, objections, opt_outs, erasedAll }) =>
    state(version, {
      purposes: marketing ? { marketing: marketing === 'GRANTED' ? granted(version) : withdrawn(version) } : {},
      objections,
      opt_outs: [...opt_outs],
      erasures: erasedAll ? [{ scope: 'ALL', purposes: [], version: version - 1, open: true }] : [],
    }),
  );

describe('SubjectStore', () => {
  it('answers decisionFor of the highest version, whatever order the states arrive in', () => {
    fc.assert(
      fc.property(fc.uniqueArray(arbitraryState, { minLength: 1, maxLength: 8, selector: (s) => s.version }), (states) => {
        const store = new SubjectStore();
        for (const s of states) store.applyState('s-1', compileDecisions(s));
        const newest = states.reduce((a, b) => (b.version > a.version ? b : a));
        for (const name of NAMES) expect(store.lookup('s-1', name)).toEqual({ decision: decisionFor(newest, name), version: newest.version });
      }),
    );
  });

  it('applies a state only if its version is higher', () => {
    const store = new SubjectStore();
    expect(store.applyState('s-1', compileDecisions(state(2, { purposes: { marketing: granted(2) } })))).toBe(true);
    expect(store.applyState('s-1', compileDecisions(state(2, { purposes: { marketing: withdrawn(2) } })))).toBe(false);
    expect(store.applyState('s-1', compileDecisions(state(1, { purposes: { marketing: withdrawn(1) } })))).toBe(false);
    expect(store.lookup('s-1', 'marketing')).toEqual({ decision: 'granted', version: 2 });
  });

  it('says no_record, version null, for a subject it never heard of', () => {
    expect(new SubjectStore().lookup('nobody', 'marketing')).toEqual({ decision: 'no_record', version: null });
  });

  it('forgets a subject on a tombstone', () => {
    const store = new SubjectStore();
    store.applyState('s-1', compileDecisions(state(3, { purposes: { marketing: granted(3) } })));
    expect(store.remove('s-1')).toBe(true);
    expect(store.size).toBe(0);
    expect(store.lookup('s-1', 'marketing')).toEqual({ decision: 'no_record', version: null });
  });

  it('restricts at once on a RESTRICTED notice newer than the state, until the state of that version arrives', () => {
    const store = new SubjectStore();
    store.applyState('s-1', compileDecisions(state(3, { purposes: { marketing: granted(3), analytics: granted(1) } })));
    store.applyNotice(notice(4));
    expect(store.lookup('s-1', 'marketing')).toEqual({ decision: 'withdrawn', version: 4 });
    expect(store.lookup('s-1', 'analytics')).toEqual({ decision: 'granted', version: 3 });
    store.applyState('s-1', compileDecisions(state(5, { purposes: { marketing: granted(5), analytics: granted(1) } })));
    expect(store.lookup('s-1', 'marketing')).toEqual({ decision: 'granted', version: 5 });
  });

  it('names the restriction by the cause, and covers every name when the notice says all', () => {
    const store = new SubjectStore();
    store.applyNotice(notice(2, { cause: 'ERASED', all: true, purposes: [] }));
    for (const name of NAMES) expect(store.lookup('s-1', name)).toEqual({ decision: 'erased', version: 2 });
    store.applyNotice(notice(3, { cause: 'OPTED_OUT', purposes: [], opt_outs: ['SALE'] }));
    expect(store.lookup('s-1', 'SALE')).toEqual({ decision: 'opted_out', version: 3 });
    expect(store.lookup('s-1', 'marketing')).toEqual({ decision: 'erased', version: 2 });
  });

  it('ignores a notice the state already covers, and lets ALLOWED wait for its state', () => {
    const store = new SubjectStore();
    store.applyState('s-1', compileDecisions(state(5, { purposes: { marketing: granted(5) } })));
    store.applyNotice(notice(4));
    expect(store.lookup('s-1', 'marketing')).toEqual({ decision: 'granted', version: 5 });
    store.applyNotice(notice(6));
    store.applyNotice(notice(7, { change: 'ALLOWED', cause: 'GRANTED' }));
    expect(store.lookup('s-1', 'marketing')).toEqual({ decision: 'withdrawn', version: 6 });
  });

  it('applies each notice version once: a notice published twice is one change', () => {
    const store = new SubjectStore();
    expect(store.applyNotice(notice(2))).toBe(true);
    expect(store.applyNotice(notice(2))).toBe(false);
    expect(store.applyNotice(notice(1))).toBe(false);
    expect(store.applyNotice(notice(3, { change: 'ALLOWED', cause: 'GRANTED' }))).toBe(true);
  });

  it('ends where the newest state says once it has arrived, whatever the order of states and notices', () => {
    const states = fc.uniqueArray(arbitraryState, { minLength: 1, maxLength: 6, selector: (s) => s.version });
    const history = states.chain((all) => {
      const newest = all.reduce((a, b) => (b.version > a.version ? b : a));
      const notices = fc.uniqueArray(fc.integer({ min: 1, max: newest.version }), { maxLength: 6 }).map((versions) => versions.map((v) => notice(v)));
      const updates = notices.map((ns) => [...all.map((s) => ({ state: s })), ...ns.map((n) => ({ notice: n }))]);
      return updates.chain((items) => fc.shuffledSubarray(items, { minLength: items.length })).map((order) => ({ newest, order }));
    });
    fc.assert(
      fc.property(history, ({ newest, order }) => {
        const store = new SubjectStore();
        for (const update of order) {
          if ('state' in update) store.applyState('s-1', compileDecisions(update.state));
          else store.applyNotice(update.notice);
        }
        for (const name of NAMES) expect(store.lookup('s-1', name)).toEqual({ decision: decisionFor(newest, name), version: newest.version });
      }),
    );
  });

  it('shares decision tables between subjects whose states decide the same', () => {
    const store = new SubjectStore();
    for (let i = 0; i < 1_000; i++) store.applyState(`s-${i}`, compileDecisions(state(1 + (i % 5), { purposes: { marketing: i % 2 ? granted(1) : withdrawn(1) } })));
    expect(store.size).toBe(1_000);
    expect(store.sharedTables).toBe(2);
  });
});
