import { EntityManager } from 'typeorm';
import type { SubjectState } from '@lethe/consent-domain';
import { erasureWorkId } from '@lethe/contracts';

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The offset of the next record to read: one past the last one applied. */
  nextOffset: string;
}

/** The partition's stored offset is not where the records start: another owner applied them. */
export class PartitionMoved extends Error {
  constructor(topic: string, partition: number, start: string, readonly storedOffset: string) {
    super(`${topic} partition ${partition} is at offset ${storedOffset} in PostgreSQL, not ${start}: another consumer applied it meanwhile, this slice is stale`);
  }
}

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

/**
 * The projector's reads and writes, in SQL. Every write is one multi-row statement whose rows
 * travel as a single JSON parameter (jsonb_to_recordset), and all of a batch's writes run in one
 * transaction together with the consumer offsets: a crash leaves either all or none of them.
 */
export class ProjectionStore {
  constructor(private readonly groupId: string) {}

  async offsets(db: EntityManager, topic: string): Promise<Map<number, string>> {
    const rows = await db.query(`select partition, next_offset from consumer_offsets where group_id = $1 and topic = $2`, [
      this.groupId,
      topic,
    ]);
    return new Map(rows.map((row: { partition: number; next_offset: string }) => [row.partition, String(row.next_offset)]));
  }

  /**
   * Locks the partition's stored offset for the rest of the transaction (storing `start` when the
   * partition has none yet) and throws PartitionMoved unless it is `start`, where the caller's
   * records begin. Whoever holds this lock is the partition's only writer until it commits.
   */
  async fence(db: EntityManager, topic: string, partition: number, start: string): Promise<void> {
    const key = [this.groupId, topic, partition];
    await db.query(`insert into consumer_offsets (group_id, topic, partition, next_offset) values ($1, $2, $3, $4) on conflict do nothing`, [...key, start]);
    const stored = (await this.lockOffset(db, topic, partition)) as string;
    if (stored !== start) throw new PartitionMoved(topic, partition, start, stored);
  }

  /**
   * Locks the partition's stored offset for the rest of the transaction, waiting for its owner's
   * open slice to end, and returns it: while this is held, nobody writes the partition's state or
   * publishes it. Undefined when no slice of the partition has committed yet: a first slice's row
   * is not visible, so nothing was locked and its owner may be publishing meanwhile.
   */
  async lockOffset(db: EntityManager, topic: string, partition: number): Promise<string | undefined> {
    const rows = await db.query(`select next_offset from consumer_offsets where group_id = $1 and topic = $2 and partition = $3 for update`, [this.groupId, topic, partition]);
    return rows.length > 0 ? String(rows[0].next_offset) : undefined;
  }

  async states(db: EntityManager, subjectIds: string[]): Promise<Map<string, SubjectState>> {
    if (subjectIds.length === 0) return new Map();
    const rows = await db.query(`select subject_id, state from subject_state where subject_id = any($1)`, [subjectIds]);
    return new Map(rows.map((row: { subject_id: string; state: SubjectState }) => [row.subject_id, row.state]));
  }

  /**
   * A page of the subjects whose KeyShredded the projection folded, in subject order after
   * `after` (null for the first page): what the projector re-applies to the key store at start.
   */
  async shreddedSubjects(db: EntityManager, after: string | null, limit: number): Promise<string[]> {
    const rows: { subject_id: string }[] = await db.query(
      `select subject_id from subject_state where state ? 'keyShredded' and ($1::text is null or subject_id > $1) order by subject_id limit $2`,
      [after, limit],
    );
    return rows.map((row) => row.subject_id);
  }

  /**
   * A page of the states, in subject order after `after`, that have a completed erasure of all
   * their data and no KeyShredded yet: erasures completed before shredding existed, or whose
   * KeyShredded was lost with an unfinished transaction. The projector makes it due at start.
   */
  async statesAwaitingShred(db: EntityManager, after: string | null, limit: number): Promise<SubjectState[]> {
    const rows: { state: SubjectState }[] = await db.query(
      `select s.state from subject_state s
        where s.subject_id in (select subject_id from erasure_requests where status = 'completed' and scope = 'ALL' and requested)
          and not s.state ? 'keyShredded' and ($1::text is null or s.subject_id > $1)
        order by s.subject_id limit $2`,
      [after, limit],
    );
    return rows.map((row) => row.state);
  }

  /**
   * A page of the states, in subject order after `after`, whose identity retention ended by `now`
   * (docs/adr/0022): what the projector's sweep shreds. A shredded state has no retention left.
   */
  async statesWithRetentionEnded(db: EntityManager, now: number, after: string | null, limit: number): Promise<SubjectState[]> {
    const rows: { state: SubjectState }[] = await db.query(
      `select state from subject_state
        where state ? 'identityRetention' and (state->'identityRetention'->>'until')::bigint <= $1
          and ($2::text is null or subject_id > $2)
        order by subject_id limit $3`,
      [now, after, limit],
    );
    return rows.map((row) => row.state);
  }

  /** `previous` holds the states as loaded, to tell which erasure requests changed. */
  async save(db: EntityManager, states: SubjectState[], previous: Map<string, SubjectState>, offsets: PartitionOffset[]): Promise<void> {
    if (states.length > 0) {
      await upsert(db, 'subject_state', ['subject_id text', 'state jsonb', 'version integer'], ['subject_id'], states.map((s) => ({ subject_id: s.subjectId, state: s, version: s.version })), 'updated_at = now()');
      // Only requests this batch changed: evolve keeps unchanged requests as the same objects.
      const requests = states.flatMap((s) =>
        Object.values(s.erasureRequests)
          .filter((r) => r !== previous.get(s.subjectId)?.erasureRequests[r.requestId])
          .map((r) => ({ subjectId: s.subjectId, request: r })),
      );
      await upsert(
        db,
        'erasure_requests',
        ['subject_id text', 'request_id text', 'work_id text', 'status text', 'requested boolean', 'scope text', 'jurisdiction text', 'keep_transaction_history boolean', 'requested_at timestamptz', 'due_at timestamptz', 'extendable_to timestamptz', 'extension_reason text', 'extended_at timestamptz', 'completed_at timestamptz'],
        ['subject_id', 'request_id'],
        requests.map(({ subjectId, request: r }) => ({
          subject_id: subjectId,
          request_id: r.requestId,
          work_id: erasureWorkId(subjectId, r.requestId),
          status: r.status,
          requested: r.requested,
          scope: r.scope,
          jurisdiction: r.jurisdiction,
          keep_transaction_history: r.keepTransactionHistory ?? false,
          requested_at: iso(r.requestedAt),
          due_at: iso(r.dueAt),
          extendable_to: iso(r.extendableTo),
          extension_reason: r.extension?.reason ?? null,
          extended_at: iso(r.extension?.at),
          completed_at: iso(r.completedAt),
        })),
      );
      await upsert(
        db,
        'erasure_steps',
        ['subject_id text', 'request_id text', 'system text', 'status text', 'action text', 'counts jsonb', 'strategies jsonb', 'evidence_hash text', 'legal_hold text', 'retryable boolean', 'attempt integer', 'reason text', 'acted_at timestamptz', 'event_id uuid'],
        ['subject_id', 'request_id', 'system'],
        requests.flatMap(({ subjectId, request }) =>
          Object.entries(request.systems).map(([system, step]) => ({
            subject_id: subjectId,
            request_id: request.requestId,
            system,
            status: step.status,
            action: step.action ?? null,
            counts: step.counts ?? null,
            strategies: step.strategies ?? null,
            evidence_hash: step.evidenceHash ?? null,
            legal_hold: step.legalHold ?? null,
            retryable: step.retryable ?? null,
            attempt: step.attempt ?? null,
            reason: step.reason ?? null,
            acted_at: iso(step.at),
            event_id: step.eventId,
          })),
        ),
      );
    }
    await upsert(
      db,
      'consumer_offsets',
      ['group_id text', 'topic text', 'partition integer', 'next_offset bigint'],
      ['group_id', 'topic', 'partition'],
      offsets.map((o) => ({ group_id: this.groupId, topic: o.topic, partition: o.partition, next_offset: o.nextOffset })),
    );
  }
}


/** insert ... select from jsonb_to_recordset($1) on conflict (key) do update set every other column. */
async function upsert(
  db: EntityManager,
  table: string,
  columns: string[],
  key: string[],
  rows: object[],
  extraSet?: string,
): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map((column) => column.split(' ')[0]);
  const updates = names.filter((name) => !key.includes(name)).map((name) => `${name} = excluded.${name}`);
  if (extraSet) updates.push(extraSet);
  await db.query(
    `insert into ${table} (${names.join(', ')})
     select ${names.join(', ')} from jsonb_to_recordset($1::jsonb) as row(${columns.join(', ')})
     on conflict (${key.join(', ')}) do update set ${updates.join(', ')}`,
    [JSON.stringify(rows)],
  );
}
