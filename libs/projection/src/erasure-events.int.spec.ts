import { freshDatabase } from '@lethe/testing';
import { ErasureEventRow, saveErasureEvents } from './erasure-events';

// The insert the projector runs in its transaction, against PostgreSQL: a redelivered slice must
// neither duplicate rows nor move an event to a later position.

let database: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  database = await freshDatabase();
});

afterAll(async () => {
  await database.drop();
});

const row = (event_id: string, offset: string, type = 'ErasureStepCompleted', subject_id = 'subj-int'): ErasureEventRow => ({
  subject_id,
  event_id,
  request_id: 'req-int',
  type,
  system: type === 'ErasureStepCompleted' ? 'crm' : null,
  topic: 'consent.log',
  partition: 2,
  offset,
  recorded_at: '2026-01-01T00:00:00.000Z',
});

it('writes each event once, at its first position, however often the slice is applied', async () => {
  const first = 'a0000000-0000-4000-8000-000000000001';
  const second = 'a0000000-0000-4000-8000-000000000002';
  await saveErasureEvents(database.db.manager, [row(first, '41', 'ErasureRequested'), row(second, '42')]);
  // Redelivered, and the same ack written again further on.
  await database.db.transaction((tx) => saveErasureEvents(tx, [row(first, '41', 'ErasureRequested'), row(second, '42'), row(second, '90')]));

  const rows = await database.db.query(`select event_id, type, system, partition, "offset" from erasure_events order by "offset"`);
  expect(rows).toEqual([
    { event_id: first, type: 'ErasureRequested', system: null, partition: 2, offset: '41' },
    { event_id: second, type: 'ErasureStepCompleted', system: 'crm', partition: 2, offset: '42' },
  ]);
});

it('keeps the same event id of two subjects as two rows: neither position hides the other', async () => {
  const shared = 'b0000000-0000-4000-8000-000000000001';
  await saveErasureEvents(database.db.manager, [row(shared, '7', 'ErasureRequested', 'subj-a'), row(shared, '3', 'ErasureRequested', 'subj-b')]);
  const rows = await database.db.query(`select subject_id, "offset" from erasure_events where event_id = $1 order by subject_id`, [shared]);
  expect(rows).toEqual([
    { subject_id: 'subj-a', offset: '7' },
    { subject_id: 'subj-b', offset: '3' },
  ]);
});
