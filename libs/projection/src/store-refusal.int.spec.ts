import { initialState } from '@lethe/consent-domain';
import { freshDatabase } from '@lethe/testing';
import { ProjectionStore } from './projection-store';
import { storeRefusal } from './store-refusal';

// The motivating case: a free-text field holding NUL, which jsonb cannot store, however often
// the write is retried. It must be told apart from an outage.

let database: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  database = await freshDatabase();
});

afterAll(() => database.drop());

it('takes jsonb refusing a NUL in a free-text field as the record content refused, by SQLSTATE only', async () => {
  const state = { ...initialState('subj-nul'), objections: { marketing: { at: 1, reason: 'direct\u0000marketing', eventId: 'e' } } };
  const store = new ProjectionStore('test.nul');
  const error = await database.db.transaction((tx) => store.save(tx, [state], new Map(), [])).catch((e: unknown) => e);
  expect(storeRefusal(error)).toBe('the projection store refused the record (SQLSTATE 22P05)');
  expect(await database.db.query(`select count(*)::int as n from subject_state`)).toEqual([{ n: 0 }]);
});
