import { DataSource } from 'typeorm';

/** What one downstream system still has to do, as the projection and its outstanding steps say. */
export interface SystemSteps {
  /** Erasure steps of this system not completed yet (pending or failed), in the projection. */
  open: number;
  /** Steps scheduled for a retry or waiting for a processor's confirmation. */
  retrying: number;
  /** Steps that failed for good, waiting for an operator's retry. */
  parked: number;
  /** When the request of the oldest open step was made; null when none is open. */
  oldestOpenSince: Date | null;
}

/** Counted in one snapshot per table; the system's name is a parameter. */
export async function systemSteps(db: DataSource, system: string): Promise<SystemSteps> {
  const [[open], [outstanding]] = await Promise.all([
    db.query(
      `select count(*)::int as open, min(r.requested_at) as oldest
         from erasure_steps s join erasure_requests r on r.subject_id = s.subject_id and r.request_id = s.request_id
        where s.system = $1 and s.status <> 'completed' and r.requested`,
      [system],
    ),
    db.query(
      `select count(*) filter (where parked_at is null)::int as retrying, count(*) filter (where parked_at is not null)::int as parked
         from outstanding_steps where system = $1 and confirmed_at is null`,
      [system],
    ),
  ]);
  return { open: open.open, retrying: outstanding.retrying, parked: outstanding.parked, oldestOpenSince: open.oldest ? new Date(open.oldest) : null };
}
