import { randomUUID } from 'node:crypto';
import { fold } from '@lethe/consent-domain';
import type { ConsentEventPayload } from '@lethe/contracts';
import { consentEvent, freshDatabase } from '@lethe/testing';
import { ProjectionStore } from './projection-store';

// What the projector reads at start to re-apply and catch up on shreds (docs/adr/0018), against
// PostgreSQL: the subjects whose KeyShredded was folded, and those whose erasure of all data
// completed without one.

let database: Awaited<ReturnType<typeof freshDatabase>>;
const store = new ProjectionStore('test.shreds');

beforeAll(async () => {
  database = await freshDatabase();
});

afterAll(() => database.drop());

const requested = (scope: 'ALL' | 'PURPOSES'): ConsentEventPayload => ({ type: 'ErasureRequested', request_id: 'req-1', scope, keep_transaction_history: false, systems: [], all_systems: false });
const completed: ConsentEventPayload = { type: 'ErasureRequestCompleted', request_id: 'req-1' };
const shredded: ConsentEventPayload = { type: 'KeyShredded', request_id: 'req-1', cause: 'ERASURE_COMPLETED' };

function subject(name: string, payloads: ConsentEventPayload[]) {
  const subjectId = `subj-${name}-${randomUUID().slice(0, 6)}`;
  return fold(payloads.map((payload) => consentEvent({ subject_id: subjectId, payload })), subjectId);
}

it('finds the shredded subjects, and those whose erasure of all data completed without a shred', async () => {
  const states = {
    shredded: subject('a-shredded', [requested('ALL'), completed, shredded]),
    awaiting: subject('b-awaiting', [requested('ALL'), completed]),
    open: subject('c-open', [requested('ALL')]),
    purposes: subject('d-purposes', [requested('PURPOSES'), completed]),
    granted: subject('e-granted', [{ type: 'ConsentGranted' }]),
  };
  await store.save(database.db.manager, Object.values(states), new Map(), []);

  expect(await store.shreddedSubjects(database.db.manager, null, 10)).toEqual([states.shredded.subjectId]);
  expect((await store.statesAwaitingShred(database.db.manager, null, 10)).map((state) => state.subjectId)).toEqual([states.awaiting.subjectId]);
  // Paged in subject order after `after`.
  expect(await store.shreddedSubjects(database.db.manager, states.shredded.subjectId, 10)).toEqual([]);
  expect(await store.statesAwaitingShred(database.db.manager, states.awaiting.subjectId, 10)).toEqual([]);
});
