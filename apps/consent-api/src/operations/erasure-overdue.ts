/**
 * When an open erasure request counts as overdue, and how far it has got. Pure, so the list,
 * the single read and their tests agree on one definition.
 *
 * - `deadline`: past its due date (the jurisdiction's deadline, after any extension). A legal
 *   breach, and what a regulator would ask about.
 * - `sla`: open for longer than our own service level (LETHE_ERASURE_SLA_HOURS). An early
 *   warning: a request stuck for days is usually a system that needs a look, long before the
 *   legal deadline.
 */
export type OverdueReason = 'deadline' | 'sla';

export interface RequestTimes {
  status: string;
  requestedAt: Date | null;
  dueAt: Date | null;
}

const HOUR_MS = 3_600_000;

/** Requests recorded before this instant are past the SLA. */
export function slaCutoff(now: number, slaHours: number): Date {
  return new Date(now - slaHours * HOUR_MS);
}

export function overdueReasons(request: RequestTimes, now: number, slaHours: number): OverdueReason[] {
  if (request.status !== 'open') return [];
  const reasons: OverdueReason[] = [];
  if (request.dueAt && request.dueAt.getTime() < now) reasons.push('deadline');
  if (request.requestedAt && request.requestedAt < slaCutoff(now, slaHours)) reasons.push('sla');
  return reasons;
}

export interface Progress {
  completed: number;
  pending: number;
  failed: number;
  total: number;
}

/** How many systems are done, waiting or failed: partial success, said plainly. */
export function progressOf(statuses: readonly string[]): Progress {
  const count = (status: string) => statuses.filter((s) => s === status).length;
  return { completed: count('completed'), pending: count('pending'), failed: count('failed'), total: statuses.length };
}
