import fc from 'fast-check';
import { evolve, initialState, isDomainError, SubjectState } from '@lethe/consent-domain';
import { ConsentEvent, ConsentEventPayload, decisionFor, isRestriction, OPT_OUT_SYMBOLS, OptOutKind, OptOutNotice } from '@lethe/contracts';
import type { KafkaMessage } from 'kafkajs';
import { foldRecords } from './batch-folder';
import { noticeFor, PublicViews } from './opt-out-notices';
import { toConsentState } from './state-view';

const SUBJECT = 'subj-n1';
let sequence = 0;
function event(payload: ConsentEventPayload, purposes: string[] = []): ConsentEvent {
  sequence += 1;
  return {
    event_id: `evt-${sequence}`,
    subject_id: SUBJECT,
    occurred_at: 1_000 + sequence,
    recorded_at: 2_000 + sequence,
    source: 'API',
    actor: 'test',
    jurisdiction: 'GDPR',
    policy_version: null,
    purposes,
    correlation_id: null,
    causation_id: null,
    identities: null,
    payload,
  };
}
const grant = (...purposes: string[]) => event({ type: 'ConsentGranted' }, purposes);
const withdraw = (...purposes: string[]) => event({ type: 'ConsentWithdrawn' }, purposes);
const object = (...purposes: string[]) => event({ type: 'ObjectionRaised', reason: null }, purposes);
const optOut = (...kinds: OptOutKind[]) => event({ type: 'OptOutRecorded', kinds });
const erase = (requestId: string, scope: 'ALL' | 'PURPOSES' = 'ALL', purposes: string[] = []) =>
  event({ type: 'ErasureRequested', request_id: requestId, scope, keep_transaction_history: false, systems: ['crm'], all_systems: false }, purposes);
const ack = (requestId: string) =>
  event({ type: 'ErasureStepCompleted', request_id: requestId, system: 'crm', action: 'delete', counts: {}, evidence_hash: 'ab', legal_hold: null, strategies: {} });

/** Any log of the facts that change decisions, over a few purposes. */
const PURPOSES = ['ads', 'email', 'analytics'];
const payloads: fc.Arbitrary<[ConsentEventPayload, string[]]> = fc.oneof(
  fc.tuple(fc.constant({ type: 'ConsentGranted' as const }), fc.subarray(PURPOSES, { minLength: 1 })),
  fc.tuple(fc.constant({ type: 'ConsentWithdrawn' as const }), fc.subarray(PURPOSES)),
  fc.tuple(fc.constant({ type: 'ObjectionRaised' as const, reason: null }), fc.subarray(PURPOSES)),
  fc.tuple(fc.record({ type: fc.constant('OptOutRecorded' as const), kinds: fc.subarray([...OPT_OUT_SYMBOLS], { minLength: 1 }) }), fc.constant([] as string[])),
  fc.tuple(
    fc.record({ type: fc.constant('ErasureRequested' as const), request_id: fc.constantFrom('r1', 'r2'), scope: fc.constantFrom('ALL' as const, 'PURPOSES' as const), keep_transaction_history: fc.constant(false), systems: fc.constant(['crm'] as string[]), all_systems: fc.constant(false) }),
    fc.subarray(PURPOSES, { minLength: 1 }),
  ),
);

/** The notices a subject's log gives, folding it as the projector does. */
function noticesOf(events: ConsentEvent[]): { notices: OptOutNotice[]; state: SubjectState } {
  let state = initialState(SUBJECT);
  const views = new PublicViews();
  const notices: OptOutNotice[] = [];
  events.forEach((e, offset) => {
    let after: SubjectState;
    try {
      after = evolve(state, e);
    } catch (error) {
      if (isDomainError(error)) return;
      throw error;
    }
    const notice = noticeFor(state, after, e, { partition: 3, offset: String(offset) }, views);
    if (notice) notices.push(notice);
    state = after;
  });
  return { notices, state };
}

const brief = ({ change, cause, all, purposes, opt_outs }: OptOutNotice) => ({ change, cause, all, purposes, opt_outs });

describe('noticeFor', () => {
  it('restricts what a withdrawal newly withdraws, once, with the position and time of its cause', () => {
    const withdrawal = withdraw('marketing');
    const { notices } = noticesOf([grant('marketing', 'analytics'), withdrawal, withdraw('marketing')]);
    expect(notices.map(brief)).toEqual([
      { change: 'ALLOWED', cause: 'GRANTED', all: false, purposes: ['analytics', 'marketing'], opt_outs: [] },
      { change: 'RESTRICTED', cause: 'WITHDRAWN', all: false, purposes: ['marketing'], opt_outs: [] },
    ]);
    expect(notices[1]).toMatchObject({ subject_id: SUBJECT, version: 2, cause_event_id: withdrawal.event_id, log_partition: 3, log_offset: 1, effective_at: withdrawal.occurred_at, recorded_at: withdrawal.recorded_at, jurisdiction: 'GDPR' });
  });

  it('allows a purpose again when it is granted after its withdrawal', () => {
    const { notices } = noticesOf([grant('marketing'), withdraw('marketing'), grant('marketing')]);
    expect(notices.map((n) => [n.change, n.version])).toEqual([['ALLOWED', 1], ['RESTRICTED', 2], ['ALLOWED', 3]]);
  });

  it('restricts a withdrawal of a purpose never granted, for guards that allow subjects with no record', () => {
    expect(noticesOf([withdraw('analytics')]).notices.map(brief)).toEqual([{ change: 'RESTRICTED', cause: 'WITHDRAWN', all: false, purposes: ['analytics'], opt_outs: [] }]);
  });

  it('says nothing for facts that change no decision: a duplicate, an acknowledgement, a withdrawal under an objection', () => {
    const granted = grant('marketing');
    const { notices } = noticesOf([granted, granted, object('marketing'), withdraw('marketing'), erase('r1'), ack('r1')]);
    expect(notices.map((n) => n.cause)).toEqual(['GRANTED', 'OBJECTED', 'ERASED']);
  });

  it('restricts everything on an erasure of everything or an objection to all processing', () => {
    expect(noticesOf([grant('marketing'), erase('r1')]).notices.map(brief)[1]).toEqual({ change: 'RESTRICTED', cause: 'ERASED', all: true, purposes: [], opt_outs: [] });
    expect(noticesOf([object()]).notices.map(brief)).toEqual([{ change: 'RESTRICTED', cause: 'OBJECTED', all: true, purposes: [], opt_outs: [] }]);
  });

  it('restricts only the erased purposes of a purpose-scoped erasure, and opt-out kinds by kind', () => {
    expect(noticesOf([grant('marketing', 'analytics'), erase('r1', 'PURPOSES', ['marketing'])]).notices.map(brief)[1]).toEqual({
      change: 'RESTRICTED', cause: 'ERASED', all: false, purposes: ['marketing'], opt_outs: [],
    });
    expect(noticesOf([optOut('SALE', 'SHARING'), optOut('SALE')]).notices.map(brief)).toEqual([
      { change: 'RESTRICTED', cause: 'OPTED_OUT', all: false, purposes: [], opt_outs: ['SALE', 'SHARING'] },
    ]);
  });

  it('allows again a purpose granted after an erasure, and only that purpose', () => {
    const { notices, state } = noticesOf([grant('marketing', 'analytics'), erase('r1'), ack('r1'), grant('marketing')]);
    expect(notices.map(brief)[2]).toEqual({ change: 'ALLOWED', cause: 'GRANTED', all: false, purposes: ['marketing'], opt_outs: [] });
    const view = toConsentState(state, 0);
    expect([decisionFor(view, 'marketing'), decisionFor(view, 'analytics'), decisionFor(view, 'anything')]).toEqual(['granted', 'erased', 'erased']);
  });

  // A subscriber that applies every notice in order knows, for every name, whether it is
  // restricted, exactly as decisionFor says on the final state: the topic misses no change.
  it('lets a subscriber folding the notices reach the decisions of the final state, for any log', () => {
    const names = [...PURPOSES, ...OPT_OUT_SYMBOLS, 'never-mentioned'];
    fc.assert(
      fc.property(fc.array(payloads, { maxLength: 25 }), (log) => {
        const { notices, state } = noticesOf(log.map(([p, names]) => event(p, names)));
        const view = toConsentState(state, 0);
        const folded = { all: false, restricted: new Set<string>(), allowed: new Set<string>() };
        for (const n of notices) {
          const named = [...n.purposes, ...n.opt_outs];
          if (n.change === 'RESTRICTED' && n.all) Object.assign(folded, { all: true, allowed: new Set() });
          for (const name of named) (n.change === 'RESTRICTED' ? folded.restricted : folded.allowed).add(name);
          for (const name of named) (n.change === 'RESTRICTED' ? folded.allowed : folded.restricted).delete(name);
        }
        for (const name of names) {
          const restricted = folded.restricted.has(name) || (folded.all && !folded.allowed.has(name));
          expect([name, restricted]).toEqual([name, isRestriction(decisionFor(view, name))]);
        }
        expect(new Set(notices.map((n) => n.version)).size).toBe(notices.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('the public views a fold shares with the consent.state publication', () => {
  // foldRecords builds each view once, drops those it moved past, and the publication stamps the
  // final one: it must be exactly the view built afresh, and the notices those of a fold event by event.
  it('are the views toConsentState gives, and give the same notices, for any log and any slice boundary', () => {
    fc.assert(
      fc.property(fc.array(payloads, { minLength: 1, maxLength: 25 }), fc.nat(), (log, cut) => {
        const events = log.map(([p, names]) => event(p, names));
        const split = cut % events.length;
        const stored = events.slice(0, split).reduce((state, e) => {
          try {
            return evolve(state, e);
          } catch (error) {
            if (isDomainError(error)) return state;
            throw error;
          }
        }, initialState(SUBJECT));
        const records = events.slice(split).map((e, i) => ({ message: { key: Buffer.from(SUBJECT), offset: String(split + i) } as KafkaMessage, event: e }));
        const folded = foldRecords(3, records, new Map([[SUBJECT, stored]]));
        for (const state of folded.changed) expect(folded.views.at(state, 7)).toEqual(toConsentState(state, 7));
        expect(folded.notices).toEqual(noticesOf(events).notices.filter((n) => n.log_offset >= split));
      }),
      { numRuns: 300 },
    );
  });
});
