/**
 * Date arithmetic for legal deadlines, in UTC and on epoch milliseconds. `new Date(ms)` is used
 * only to split an instant into calendar fields; nothing here reads the clock.
 */
export const DAY_MS = 86_400_000;

/** A length of time as the law states it. */
export type Period =
  | { unit: 'calendar_days'; amount: number }
  | { unit: 'calendar_months'; amount: number }
  | { unit: 'business_days'; amount: number };

export const calendarDays = (amount: number): Period => ({ unit: 'calendar_days', amount });
export const calendarMonths = (amount: number): Period => ({ unit: 'calendar_months', amount });
export const businessDays = (amount: number): Period => ({ unit: 'business_days', amount });

export function addPeriod(at: number, period: Period): number {
  switch (period.unit) {
    case 'calendar_days':
      return addCalendarDays(at, period.amount);
    case 'calendar_months':
      return addCalendarMonths(at, period.amount);
    case 'business_days':
      return addBusinessDays(at, period.amount);
  }
}

/** UTC has no daylight saving, so a day is always 24 hours. */
export function addCalendarDays(at: number, days: number): number {
  return at + days * DAY_MS;
}

/**
 * The same day of the month `months` later, at the same time of day. When that month is
 * shorter, the last day of it: Jan 31 + 1 month = Feb 28 (Feb 29 in a leap year), because a
 * deadline may fall early but never spill into the month after.
 */
export function addCalendarMonths(at: number, months: number): number {
  const date = new Date(at);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDayOfTargetMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDayOfTargetMonth);
  const timeOfDay = at - Date.UTC(year, date.getUTCMonth(), date.getUTCDate());
  return Date.UTC(year, month, day) + timeOfDay;
}

/**
 * `days` working days later (Monday to Friday, UTC), at the same time of day. Counting starts
 * the day after `at`, so a request on a Saturday has Monday as its first business day.
 *
 * Public holidays are deliberately not taken into account: they count as business days here.
 * They differ by state and year, and ignoring them can only make a deadline earlier, never late.
 */
export function addBusinessDays(at: number, days: number): number {
  let due = at;
  let counted = 0;
  while (counted < days) {
    due += DAY_MS;
    if (isWeekday(due)) counted += 1;
  }
  return due;
}

function isWeekday(at: number): boolean {
  const dayOfWeek = new Date(at).getUTCDay();
  return dayOfWeek !== 0 && dayOfWeek !== 6;
}
