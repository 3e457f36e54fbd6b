import type { ConsentEvent } from '@lethe/contracts';
import { addCalendarMonths } from './calendar';
import { identityRetentionEnd } from './policies';
import { retentionShredsDue } from './reactions';
import { fold } from './replay';
import { anEvent, erasureRequested, granted, objected, optedOut, requestCompleted, SUBJECT, T0, withdrawn } from './testing/events';

// Retention-based crypto-shredding (docs/adr/0022): identifiers kept only while needed, shredded
// once the retention after the last withdrawal, objection or opt-out has passed with nothing granted.

const DAY = 86_400_000;
const metadata = (now: number) => ({
  now,
  actor: 'lethe-projector',
  completionEventId: (subjectId: string, id: string) => `done-${subjectId}-${id}`,
  shredEventId: (subjectId: string) => `shred-${subjectId}`,
  retentionShredEventId: (subjectId: string, from: string) => `retention-${subjectId}-${from}`,
});
const retentionShred = (eventId: string, causation: string, at: number): ConsentEvent =>
  anEvent({ type: 'KeyShredded', request_id: null, cause: 'RETENTION_ELAPSED' }, { event_id: eventId, causation_id: causation, recorded_at: at, source: 'SYSTEM' });

describe('identity retention in the fold', () => {
  it('starts at an opt-out with nothing granted, and ends under the opt-out’s jurisdiction', () => {
    const state = fold([optedOut('e1', ['SALE'], { jurisdiction: 'CCPA' })], SUBJECT);
    expect(state.identityRetention).toEqual({ until: addCalendarMonths(T0, 24), fromEventId: 'e1', jurisdiction: 'CCPA' });
  });

  it('is absent while any purpose is granted, and starts when the last grant is withdrawn', () => {
    const stillGranted = fold([granted('e1', ['marketing', 'analytics']), withdrawn('e2', ['marketing'])], SUBJECT);
    expect(stillGranted.identityRetention).toBeUndefined();
    const none = fold([granted('e1', ['marketing', 'analytics']), withdrawn('e2', ['marketing']), withdrawn('e3', ['analytics'], { recorded_at: T0 + DAY })], SUBJECT);
    expect(none.identityRetention).toMatchObject({ fromEventId: 'e3', until: addCalendarMonths(T0 + DAY, 24) });
  });

  it('is cancelled by a later grant and by an open erasure, which still needs the identifiers', () => {
    expect(fold([objected('e1', []), granted('e2', ['marketing'])], SUBJECT).identityRetention).toBeUndefined();
    expect(fold([optedOut('e1', ['SALE']), erasureRequested('e2', 'req-1', ['crm'])], SUBJECT).identityRetention).toBeUndefined();
  });

  it('moves on with each later restricting fact, never back, and not with facts that restrict nothing', () => {
    const later = fold([optedOut('e1', ['SALE']), objected('e2', [], { recorded_at: T0 + 30 * DAY })], SUBJECT);
    expect(later.identityRetention).toMatchObject({ fromEventId: 'e2', until: addCalendarMonths(T0 + 30 * DAY, 24) });
    // An acknowledgement of the opt-out is not a new restriction: the retention still runs from the opt-out.
    const acked = fold([optedOut('e1', ['SALE']), anEvent({ type: 'OptOutStepCompleted', system: 'crm', action: 'suppress', counts: {}, evidence_hash: 'h' }, { event_id: 'e2', recorded_at: T0 + DAY })], SUBJECT);
    expect(acked.identityRetention).toMatchObject({ fromEventId: 'e1', until: addCalendarMonths(T0, 24) });
  });

  it('starts at the completion of an erasure of some purposes that leaves nothing granted', () => {
    const partial = anEvent(
      { type: 'ErasureRequested', request_id: 'req-1', scope: 'PURPOSES', keep_transaction_history: false, systems: [], all_systems: false },
      { event_id: 'e2', purposes: ['marketing'] },
    );
    const state = fold([withdrawn('e1', ['marketing']), partial, requestCompleted('e3', 'req-1', { recorded_at: T0 + DAY })], SUBJECT);
    expect(state.identityRetention).toMatchObject({ fromEventId: 'e3', until: addCalendarMonths(T0 + DAY, 24) });
  });

  it('is absent for a subject who only ever granted, as states stored before it existed', () => {
    expect(Object.keys(fold([granted('e1', ['marketing'])], SUBJECT))).not.toContain('identityRetention');
  });

  it('takes the shortest rule of all when the jurisdiction is unspecified', () => {
    const ends = (['GDPR', 'UK_GDPR', 'CCPA', 'LGPD'] as const).map((j) => identityRetentionEnd(j, T0));
    expect(identityRetentionEnd('UNSPECIFIED', T0)).toBe(Math.min(...ends));
  });
});

describe('retentionShredsDue and the retention shred', () => {
  const opted = [optedOut('e1', ['SALE'], { jurisdiction: 'CCPA' })];
  const end = addCalendarMonths(T0, 24);

  it('is due only once the retention has ended, naming the fact it ran from', () => {
    const state = fold(opted, SUBJECT);
    expect(retentionShredsDue(state, metadata(end - 1))).toEqual([]);
    const [shred] = retentionShredsDue(state, metadata(end));
    expect(shred).toMatchObject({
      event_id: `retention-${SUBJECT}-e1`,
      causation_id: 'e1',
      jurisdiction: 'CCPA',
      identities: null,
      payload: { type: 'KeyShredded', request_id: null, cause: 'RETENTION_ELAPSED' },
    });
  });

  it('folds into a shredded state and leaves no retention behind', () => {
    const [shred] = retentionShredsDue(fold(opted, SUBJECT), metadata(end));
    const state = fold([...opted, shred], SUBJECT);
    expect(state.keyShredded).toEqual({ requestId: null, cause: 'retention_elapsed', at: end, eventId: shred.event_id });
    expect(state.identityRetention).toBeUndefined();
    expect(retentionShredsDue(state, metadata(end + DAY))).toEqual([]);
  });

  it('is void when a grant was folded between the sweep and the shred: the key stays', () => {
    const [shred] = retentionShredsDue(fold(opted, SUBJECT), metadata(end));
    const state = fold([...opted, granted('e2', ['marketing'], { recorded_at: end - 5 }), shred], SUBJECT);
    expect(state.keyShredded).toBeUndefined();
    expect(state.appliedEventIds).toContain(shred.event_id);
  });

  it('is void when it names another retention than the one in force, or one not ended by its own time', () => {
    expect(fold([...opted, retentionShred('s1', 'e0', end)], SUBJECT).keyShredded).toBeUndefined();
    expect(fold([...opted, retentionShred('s1', 'e1', end - 1)], SUBJECT).keyShredded).toBeUndefined();
  });

  it('after a void shred, a retention that starts again gets a shred of its own id', () => {
    const [first] = retentionShredsDue(fold(opted, SUBJECT), metadata(end));
    const events = [...opted, granted('e2', ['marketing']), first, withdrawn('e3', ['marketing'], { recorded_at: end + DAY })];
    const [second] = retentionShredsDue(fold(events, SUBJECT), metadata(addCalendarMonths(end + DAY, 24)));
    expect(second.event_id).not.toBe(first.event_id);
    expect(fold([...events, second], SUBJECT).keyShredded).toMatchObject({ cause: 'retention_elapsed' });
  });

  it('is not due once the key was shredded by a completed erasure', () => {
    const erased = fold([...opted, anEvent({ type: 'KeyShredded', request_id: 'req-1', cause: 'ERASURE_COMPLETED' }, { event_id: 'k1' })], SUBJECT);
    expect(retentionShredsDue(erased, metadata(end))).toEqual([]);
  });
});
