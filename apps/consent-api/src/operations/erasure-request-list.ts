import { DataSource } from 'typeorm';
import { OverdueReason, overdueReasons, Progress, slaCutoff } from './erasure-overdue';
import { encodeCursor, ListPosition } from './list-cursor';

export const LIST_STATUSES = ['open', 'overdue', 'completed'] as const;
export type ListStatus = (typeof LIST_STATUSES)[number];

export interface ListQuery {
  /** Absent: every request. */
  status?: ListStatus;
  limit: number;
  after?: ListPosition;
  now: number;
  slaHours: number;
}

export interface ListedRequest {
  requestId: string;
  subjectId: string;
  status: string;
  jurisdiction: string | null;
  requestedAt: string | null;
  dueAt: string | null;
  extendableTo: string | null;
  completedAt: string | null;
  extension: { reason: string; at: string | null } | null;
  overdue: OverdueReason[];
  progress: Progress;
}

export interface RequestPage {
  items: ListedRequest[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/**
 * One page of erasure requests, earliest due date first, each with its steps counted by status.
 * Only requests that were actually made: acknowledgements read before their request leave a
 * placeholder row (requested = false) with no dates, which is not a request yet.
 */
export async function listErasureRequests(db: DataSource, query: ListQuery): Promise<RequestPage> {
  const params: unknown[] = [query.limit + 1];
  const param = (value: unknown) => `$${params.push(value)}`;
  // Each filter keeps `status = 'open'` literal where it applies, so PostgreSQL can walk the
  // partial index erasure_requests_open_due, already in due-date order.
  const filters: Record<ListStatus | 'all', () => string> = {
    all: () => 'true',
    open: () => `r.status = 'open'`,
    completed: () => `r.status = 'completed'`,
    overdue: () =>
      `r.status = 'open' and (r.due_at < ${param(new Date(query.now))} or r.requested_at < ${param(slaCutoff(query.now, query.slaHours))})`,
  };
  const where = [`r.requested`, filters[query.status ?? 'all']()];
  if (query.after) {
    const { dueAt, requestId, subjectId } = query.after;
    where.push(`(r.due_at, r.request_id, r.subject_id) > (${param(dueAt)}::timestamptz, ${param(requestId)}::text, ${param(subjectId)}::text)`);
  }
  const rows: Row[] = await db.query(
    `select r.request_id, r.subject_id, r.status, r.jurisdiction, r.requested_at, r.due_at, r.extendable_to,
            r.completed_at, r.extension_reason, r.extended_at, p.completed, p.pending, p.failed, p.total,
            to_char(r.due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as due_at_key
       from erasure_requests r
       cross join lateral (
         select count(*) filter (where s.status = 'completed')::int as completed,
                count(*) filter (where s.status = 'pending')::int as pending,
                count(*) filter (where s.status = 'failed')::int as failed,
                count(*)::int as total
           from erasure_steps s where s.subject_id = r.subject_id and s.request_id = r.request_id) p
      where ${where.join(' and ')}
      order by r.due_at, r.request_id, r.subject_id
      limit $1`,
    params,
  );
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => listed(row, query)),
    nextCursor: rows.length > query.limit ? encodeCursor({ dueAt: last.due_at_key, requestId: last.request_id, subjectId: last.subject_id }) : null,
  };
}

interface Row {
  request_id: string;
  subject_id: string;
  status: string;
  jurisdiction: string | null;
  requested_at: Date | null;
  due_at: Date | null;
  extendable_to: Date | null;
  completed_at: Date | null;
  extension_reason: string | null;
  extended_at: Date | null;
  completed: number;
  pending: number;
  failed: number;
  total: number;
  /**
   * due_at to the microsecond, as PostgreSQL keeps it, for the cursor: a Date would cut it to the
   * millisecond, and a cursor just before the last row would return that row again.
   */
  due_at_key: string;
}

const iso = (value: Date | null) => (value ? value.toISOString() : null);

function listed(row: Row, query: ListQuery): ListedRequest {
  return {
    requestId: row.request_id,
    subjectId: row.subject_id,
    status: row.status,
    jurisdiction: row.jurisdiction,
    requestedAt: iso(row.requested_at),
    dueAt: iso(row.due_at),
    extendableTo: iso(row.extendable_to),
    completedAt: iso(row.completed_at),
    extension: row.extension_reason === null ? null : { reason: row.extension_reason, at: iso(row.extended_at) },
    overdue: overdueReasons({ status: row.status, requestedAt: row.requested_at, dueAt: row.due_at }, query.now, query.slaHours),
    progress: { completed: row.completed, pending: row.pending, failed: row.failed, total: row.total },
  };
}
