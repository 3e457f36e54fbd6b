import { overdueReasons, progressOf, slaCutoff } from './erasure-overdue';

const now = Date.parse('2026-03-10T12:00:00.000Z');
const hoursAgo = (hours: number) => new Date(now - hours * 3_600_000);
const open = (requestedAt: Date, dueAt: Date) => ({ status: 'open', requestedAt, dueAt });

describe('overdueReasons', () => {
  it('says deadline once the due date has passed, even within the SLA', () => {
    expect(overdueReasons(open(hoursAgo(1), hoursAgo(0.5)), now, 72)).toEqual(['deadline']);
  });

  it('says sla once the request is older than the SLA, before the deadline', () => {
    expect(overdueReasons(open(hoursAgo(73), hoursAgo(-100)), now, 72)).toEqual(['sla']);
  });

  it('gives both reasons, deadline first', () => {
    expect(overdueReasons(open(hoursAgo(800), hoursAgo(1)), now, 72)).toEqual(['deadline', 'sla']);
  });

  it('is not overdue exactly at the due date or exactly at the SLA', () => {
    expect(overdueReasons(open(hoursAgo(72), new Date(now)), now, 72)).toEqual([]);
  });

  it('never calls a completed request overdue, however late it finished', () => {
    expect(overdueReasons({ status: 'completed', requestedAt: hoursAgo(800), dueAt: hoursAgo(1) }, now, 72)).toEqual([]);
  });

  it('with an SLA of 0 hours, any open request already recorded is past it', () => {
    expect(overdueReasons(open(new Date(now - 1), hoursAgo(-1)), now, 0)).toEqual(['sla']);
  });

  it('ignores times it does not know (an acknowledgement seen before its request)', () => {
    expect(overdueReasons({ status: 'open', requestedAt: null, dueAt: null }, now, 0)).toEqual([]);
  });
});

it('slaCutoff is now minus the SLA', () => {
  expect(slaCutoff(now, 72).toISOString()).toBe('2026-03-07T12:00:00.000Z');
});

it('progressOf counts each status and the total', () => {
  expect(progressOf(['completed', 'failed', 'pending', 'completed'])).toEqual({ completed: 2, pending: 1, failed: 1, total: 4 });
  expect(progressOf([])).toEqual({ completed: 0, pending: 0, failed: 0, total: 0 });
});
