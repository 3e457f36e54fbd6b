import { freshDatabase } from '@lethe/testing';
import { OutstandingSteps } from './outstanding-steps';

describe('OutstandingSteps', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let steps: OutstandingSteps;
  const record = Buffer.from('the record');
  const past = () => new Date(Date.now() - 1_000);
  const later = () => new Date(Date.now() + 3_600_000);

  beforeAll(async () => {
    database = await freshDatabase();
    steps = new OutstandingSteps(database.db, 'mail-vendor');
  });
  afterAll(() => database.drop());

  it('hands out a due retry once, to one claimer, and keeps other systems apart', async () => {
    await steps.schedule('dsr-1', 2, 1, past(), record);
    await new OutstandingSteps(database.db, 'other-system').schedule('dsr-1', 5, 1, past(), record);
    const [first, second] = await Promise.all([steps.claimDue(10), steps.claimDue(10)]);

    expect([...first, ...second]).toEqual([{ workId: 'dsr-1', attempt: 2, roundStart: 1, record, confirmationOverdue: false }]);
    expect(await steps.claimDue(10)).toEqual([]); // leased
  });

  it('waits for a confirmation until its deadline, then hands it out as overdue', async () => {
    await steps.awaitConfirmation('dsr-2', 1, 1, later(), record);
    expect(await steps.claimDue(10)).toEqual([]);
    expect(await steps.awaited('dsr-2')).toEqual({ record, attempt: 1, confirmedAt: null });

    await steps.awaitConfirmation('dsr-3', 1, 1, past(), record);
    expect(await steps.claimDue(10)).toEqual([expect.objectContaining({ workId: 'dsr-3', confirmationOverdue: true })]);
  });

  it('never times out a confirmed step, nor lets a later send or failure overwrite it', async () => {
    await steps.awaitConfirmation('dsr-4', 1, 1, past(), record);
    await steps.confirm('dsr-4');
    await steps.awaitConfirmation('dsr-4', 1, 1, past(), record); // the request delivered again
    await steps.park('dsr-4', 1, 1, record);
    await steps.parkRefused('dsr-4');

    expect(await steps.claimDue(10)).toEqual([]);
    expect(await steps.rearm('dsr-4')).toBe(false);
    expect((await steps.awaited('dsr-4'))?.confirmedAt).toBeInstanceOf(Date);
  });

  it("parks a request the processor refused, for an operator's retry with a fresh budget", async () => {
    await steps.awaitConfirmation('dsr-5', 3, 1, later(), record);
    await steps.parkRefused('dsr-5');
    expect(await steps.claimDue(10)).toEqual([]);

    expect(await steps.rearm('dsr-5')).toBe(true);
    expect(await steps.claimDue(10)).toEqual([{ workId: 'dsr-5', attempt: 4, roundStart: 4, record, confirmationOverdue: false }]);
  });

  it('forgets confirmed steps after a week, and only those', async () => {
    await steps.awaitConfirmation('dsr-6', 1, 1, later(), record);
    await steps.confirm('dsr-6');
    await steps.awaitConfirmation('dsr-7', 1, 1, later(), record);
    await database.db.query(`update outstanding_steps set confirmed_at = now() - interval '8 days' where work_id = 'dsr-6'`);
    await steps.purgeConfirmed();

    expect(await steps.awaited('dsr-6')).toBeUndefined();
    expect(await steps.awaited('dsr-7')).toBeDefined();
  });
});
