import { freshDatabase } from '@lethe/testing';
import { RequestIdClaims } from './request-ids';

describe('RequestIdClaims', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(() => database.drop());

  const outcome = (claim: Promise<void>) =>
    claim.then(
      () => 'claimed',
      (error: Error & { reason?: string }) => error.reason ?? error.message,
    );

  it('gives an id to one subject only, also to two subjects asking at once, and again to its holder', async () => {
    const claims = new RequestIdClaims(database.db);
    for (let round = 0; round < 10; round++) {
      const both = await Promise.all([outcome(claims.claim(`dsr-race-${round}`, 'subj-a')), outcome(claims.claim(`dsr-race-${round}`, 'subj-b'))]);
      expect(both.sort()).toEqual(['claimed', 'request_id_in_use']);
      const [{ subject_id: holder }] = await database.db.query(`select subject_id from erasure_request_ids where request_id = $1`, [`dsr-race-${round}`]);
      expect(await outcome(claims.claim(`dsr-race-${round}`, holder))).toBe('claimed');
    }
  });

  it('agrees across two processes (two claimers) asking for one id at once', async () => {
    const [one, two] = [new RequestIdClaims(database.db), new RequestIdClaims(database.db)];
    for (let round = 0; round < 10; round++) {
      const both = await Promise.all([outcome(one.claim(`dsr-two-${round}`, 'subj-a')), outcome(two.claim(`dsr-two-${round}`, 'subj-b'))]);
      expect(both.sort()).toEqual(['claimed', 'request_id_in_use']);
    }
  });

  it('refuses an id the projection holds for another subject (a log written before the claims)', async () => {
    await database.db.query(`insert into erasure_requests (subject_id, request_id, work_id, status, requested) values ('subj-old', 'dsr-projected', 'work-projected', 'pending', true)`);
    const claims = new RequestIdClaims(database.db);
    expect(await outcome(claims.claim('dsr-projected', 'subj-new'))).toBe('request_id_in_use');
    expect(await outcome(claims.claim('dsr-projected', 'subj-old'))).toBe('claimed');
    // Also when the other subject asks at the same moment, first.
    await database.db.query(`insert into erasure_requests (subject_id, request_id, work_id, status, requested) values ('subj-old', 'dsr-projected-2', 'work-projected-2', 'pending', true)`);
    const both = await Promise.all([outcome(claims.claim('dsr-projected-2', 'subj-new')), outcome(claims.claim('dsr-projected-2', 'subj-old'))]);
    expect(both).toEqual(['request_id_in_use', 'claimed']);
  });

  it('claims the ids of concurrent erasures in few statements, refusing only the taken one among them', async () => {
    let statements = 0;
    const claims = new RequestIdClaims({ query: (sql: string, parameters?: unknown[]) => (statements++, database.db.query(sql, parameters)) });
    await claims.claim('dsr-taken', 'subj-first');
    statements = 0;
    const asked = [...Array.from({ length: 60 }, (_, n) => claims.claim(`dsr-batch-${n}`, `subj-batch-${n}`)), claims.claim('dsr-taken', 'subj-second')];
    const results = await Promise.all(asked.map(outcome));
    expect(results.slice(0, 60)).toEqual(Array(60).fill('claimed'));
    expect(results[60]).toBe('request_id_in_use');
    expect(statements).toBeLessThanOrEqual(5);
  });
});
