import { ConsentEvent } from '@lethe/contracts';
import { evolve, initialState } from '@lethe/consent-domain';
import { consentEvent } from '@lethe/testing';
import { resetTarget } from './commands/reprocess';
import { statusTable, SystemStatus } from './commands/systems';
import { countByKind, ReapplySelection, stillInForce } from './reapply-selection';

const T = Date.parse('2026-03-01T00:00:00Z');
const at = (ms: number) => ({ occurred_at: ms, recorded_at: ms });
const subject = 'subj-1';
const request = (id: string) => consentEvent({ subject_id: subject, payload: { type: 'ErasureRequested', request_id: id, scope: 'ALL', keep_transaction_history: false, systems: ['shop'], all_systems: false } });
const erasureAck = (id: string, ms: number, system = 'shop') =>
  consentEvent({ subject_id: subject, ...at(ms), payload: { type: 'ErasureStepCompleted', request_id: id, system, action: 'delete', counts: {}, evidence_hash: 'e', legal_hold: null, strategies: {} } });
const optOutAck = (cause: ConsentEvent, ms: number) => consentEvent({ subject_id: subject, ...at(ms), causation_id: cause.event_id, payload: { type: 'OptOutStepCompleted', system: 'shop', action: 'delete', counts: {}, evidence_hash: 'e' } });
const record = Buffer.from('record');

describe('ReapplySelection', () => {
  it('selects the causes the system acknowledged at or after the instant, and no other', () => {
    const before = request('dsr-before');
    const after = request('dsr-after');
    const elsewhere = request('dsr-elsewhere');
    const withdrawal = consentEvent({ subject_id: subject, payload: { type: 'ConsentWithdrawn' } });
    const selection = new ReapplySelection('shop', T, { marketing: 'delete', SALE: 'suppress' });
    for (const event of [before, after, elsewhere, withdrawal, erasureAck('dsr-before', T - 1), erasureAck('dsr-after', T), erasureAck('dsr-elsewhere', T + 1, 'crm'), optOutAck(withdrawal, T + 5)]) selection.add(event, record);
    expect(selection.selected().map((cause) => [cause.kind, cause.event.event_id])).toEqual([
      ['erasure', after.event_id],
      ['withdrawal', withdrawal.event_id],
    ]);
  });

  it('keeps only causes that can reach the system: requests naming it or all, purposes and kinds it maps', () => {
    const unmapped = consentEvent({ subject_id: subject, purposes: ['analytics'], payload: { type: 'ConsentWithdrawn' } });
    const sharing = consentEvent({ subject_id: subject, payload: { type: 'OptOutRecorded', kinds: ['SHARING'] } });
    const everywhere = consentEvent({ subject_id: subject, payload: { type: 'ErasureRequested', request_id: 'dsr-all', scope: 'ALL', keep_transaction_history: false, systems: [], all_systems: true } });
    const selection = new ReapplySelection('shop', T, { marketing: 'delete' });
    for (const event of [unmapped, sharing, everywhere, optOutAck(unmapped, T + 1), optOutAck(sharing, T + 1), erasureAck('dsr-all', T + 1)]) selection.add(event, record);
    expect(selection.selected().map((cause) => cause.event.event_id)).toEqual([everywhere.event_id]);
  });

  it('follows an acknowledgement of an earlier reapply back to its cause, so a second restore is covered', () => {
    const optOut = consentEvent({ subject_id: subject, payload: { type: 'OptOutRecorded', kinds: ['SALE'] } });
    const reapply = consentEvent({ subject_id: subject, causation_id: optOut.event_id, payload: { type: 'StepReapplyRequested', reapply_id: 'r-1', system: 'shop', cause: record } });
    const selection = new ReapplySelection('shop', T, { marketing: 'delete', SALE: 'suppress' });
    for (const event of [optOut, optOutAck(optOut, T - 10), reapply, optOutAck(reapply, T + 10)]) selection.add(event, record);
    expect(selection.selected().map((cause) => cause.kind)).toEqual(['opt-out']);
  });
});

describe('stillInForce', () => {
  it('keeps a withdrawal only while it set the purpose; erasures always stand', () => {
    const grant = consentEvent({ subject_id: subject, payload: { type: 'ConsentGranted' }, policy_version: '1' });
    const withdrawal = consentEvent({ subject_id: subject, payload: { type: 'ConsentWithdrawn' } });
    const regrant = consentEvent({ subject_id: subject, payload: { type: 'ConsentGranted' }, policy_version: '2' });
    const withdrawn = [grant, withdrawal].reduce(evolve, initialState(subject));
    const cause = { kind: 'withdrawal' as const, event: withdrawal, record };
    expect(stillInForce(cause, withdrawn)).toBe(true);
    expect(stillInForce(cause, evolve(withdrawn, regrant))).toBe(false);
    expect(stillInForce(cause, null)).toBe(true); // not projected yet: when in doubt, act
    expect(stillInForce({ kind: 'erasure', event: request('dsr-1'), record }, evolve(withdrawn, regrant))).toBe(true);
  });

  it('counts subjects and steps per kind, naming nobody', () => {
    const two = [request('a'), request('b'), consentEvent({ subject_id: 'subj-2', payload: { type: 'ErasureRequested', request_id: 'c', scope: 'ALL', keep_transaction_history: false, systems: [], all_systems: true } })];
    expect(countByKind(two.map((event) => ({ kind: 'erasure' as const, event, record })))).toEqual({ erasure: { subjects: 2, steps: 3 } });
    const withdrawal = { kind: 'withdrawal' as const, event: consentEvent({ payload: { type: 'ConsentWithdrawn' } }), record };
    expect(Object.keys(countByKind([withdrawal, { kind: 'erasure', event: two[0], record }]))).toEqual(['erasure', 'withdrawal']); // the same order whatever the log's

  });
});

describe('reprocess --from', () => {
  it('reads an offset, offsets per partition or a time, and refuses anything else without quoting it', () => {
    expect(resetTarget('0')).toEqual({ offset: 0n });
    expect(resetTarget('0:120,3:88')).toEqual({ offsets: new Map([[0, 120n], [3, 88n]]) });
    expect(resetTarget('2026-03-01T00:00:00Z')).toEqual({ timestamp: T });
    for (const value of ['last-week', 'ada@example.com', '-1']) expect(() => resetTarget(value)).toThrow(/^--from must be an offset, partition:offset pairs \(0:120,3:88\) or an ISO 8601 time$/);
  });
});

describe('systems status table', () => {
  it('pads columns to the widest cell and shows ages in units a person reads', () => {
    const row = (system: string, oldestOpenSeconds: number | null): SystemStatus => ({ system, type: 'sql', group: 'g', members: 1, lag: 12, records: 48, caughtUp: 0.75, open: 2, retrying: 1, parked: 0, oldestOpenSeconds });
    expect(statusTable([row('shop-db', 7_300), row('a', null)])).toEqual([
      'system   type  workers  lag  caught up  open  retrying  parked  oldest open',
      'shop-db  sql   1        12   75.0%      2     1         0       2 h',
      'a        sql   1        12   75.0%      2     1         0       -',
    ]);
  });
});
