import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { citedPositions, parseVerifierKey, privateKeyFromSeed, publicKeyFrom, verifierKey, verifyCertificate, verifyCitedCheckpoint } from '@lethe/certificates';
import { checkpointKeyFrom, signingKeyFrom } from '@lethe/config';
import type { SubjectState } from '@lethe/consent-domain';
import { consumerGroupsFor, ConsentEvent, ConsentEventCodec, ConsentState, ConsentStateCodec, erasureWorkId, subjectsFor, topicsFor } from '@lethe/contracts';
import { toConsentState } from '@lethe/projection';
import { eventIdFor } from '../../apps/consent-api/src/idempotency/idempotency-store';
import { logEnds, scanLog } from '../../apps/lethe-cli/src/log-scan';
import { SystemData, subjectsWithData } from './system-data';
import type { RequestRecord } from './workload';

export interface Invariant {
  name: string;
  pass: boolean;
  /** Counts, never what a record holds. */
  detail: string;
}

export interface CheckInput {
  kafka: Kafka;
  registryUrl: string;
  pool: Pool;
  /** LETHE_DB_SCHEMA and LETHE_TOPIC_PREFIX of the Lethe under test. */
  schema: string;
  prefix: string;
  /** The API key's service: the owner of its Idempotency-Keys, from which event ids are derived. */
  service: string;
  requests: RequestRecord[];
  /** The systems of the systems file, whose worker groups are checked. */
  systems: readonly string[];
  /** For certificates: the API and a key that may read; the keys come from LETHE_SIGNING_KEY and LETHE_CHECKPOINT_KEY. */
  api: { url: string; key: string };
  env: NodeJS.ProcessEnv;
  /** Where the systems keep the seeded subjects' data; when given, completed erasures must have left none. */
  data?: SystemData;
}

/** What the checker measured, beside the verdicts: the figures a scenario reports. */
export interface CheckFigures {
  accepted: number;
  /** Accepted facts missing from the log or the projection. */
  lost: number;
  /** Facts applied more than once, or on the log twice without a retry. */
  doubled: number;
  /** Retried writes whose record is on the log twice under one event id (the fold applies it once). */
  rewritten: number;
}

interface Logged {
  partition: number;
  offset: bigint;
  event: ConsentEvent;
}

/** Every record of a topic from offset 0 to its end now, through lethe-cli's read-only scan. */
async function readAll(kafka: Kafka, topic: string, onRecord: (partition: number, offset: bigint, value: Buffer | null, key: string) => Promise<void>): Promise<void> {
  const ends = await logEnds(kafka, topic);
  await scanLog(kafka, {
    topic,
    ends,
    onRecords: async (partition, messages) => {
      for (const m of messages) await onRecord(partition, BigInt(m.offset), m.value, String(m.key));
    },
  });
}

const line = (name: string, pass: boolean, detail: string): Invariant => ({ name, pass, detail });

/**
 * The fault suite's invariants, from consent.log, the PostgreSQL projection and consent.state:
 * each one line, PASS or FAIL, with counts.
 */
export async function checkInvariants(input: CheckInput): Promise<{ invariants: Invariant[]; figures: CheckFigures }> {
  const topics = topicsFor(input.prefix);
  const codec = ConsentEventCodec.forRegistry(input.registryUrl, subjectsFor(topics).consentLogValue);
  const log: Logged[] = [];
  await readAll(input.kafka, topics.consentLog, async (partition, offset, value) => void log.push({ partition, offset, event: await codec.decode(value) }));
  const onLog = new Map<string, number>();
  for (const { event } of log) onLog.set(event.event_id, (onLog.get(event.event_id) ?? 0) + 1);

  const { rows: stateRows } = await input.pool.query<{ subject_id: string; state: SubjectState; updated_at: Date }>(`select subject_id, state, updated_at from "${input.schema}".subject_state`);
  const states = new Map(stateRows.map((row) => [row.subject_id, row.state]));
  const applied = (subjectId: string, eventId: string) => states.get(subjectId)?.appliedEventIds.filter((id) => id === eventId).length ?? 0;

  const accepted = input.requests.filter((r) => r.outcome === 'accepted');
  const invariants: Invariant[] = [];

  // 1. Every 2xx fact on the log: none missing; a request that never failed, exactly once. One
  // whose first attempt timed out may have landed and been appended again by its retry, under the
  // same event id (docs/adr/0016): counted apart, and the projection must apply it once (2).
  const troubled = input.requests.filter((r) => r.attempts.some((a) => typeof a.status !== 'number' || a.status >= 500 || a.status === 409));
  const troubledKeys = new Set(troubled.map((r) => r.idempotencyKey));
  const count = (r: RequestRecord) => onLog.get(r.eventId as string) ?? 0;
  const lostOnLog = accepted.filter((r) => count(r) === 0).length;
  const doubledOnLog = accepted.filter((r) => count(r) > 1 && !troubledKeys.has(r.idempotencyKey)).length;
  invariants.push(line('every 2xx fact on consent.log (exactly once unless retried)', lostOnLog === 0 && doubledOnLog === 0, `${accepted.length} accepted, ${lostOnLog} missing, ${doubledOnLog} more than once without a retry (${log.length} records)`));

  // 2. … and exactly once in the projection.
  const lostInProjection = accepted.filter((r) => applied(r.subjectId, r.eventId as string) === 0).length;
  const doubledInProjection = accepted.filter((r) => applied(r.subjectId, r.eventId as string) > 1).length;
  invariants.push(line('every 2xx fact in the projection exactly once', lostInProjection === 0 && doubledInProjection === 0, `${accepted.length} accepted, ${lostInProjection} not applied, ${doubledInProjection} applied more than once`));

  // 3. Requests that met a 5xx or a timeout: a final answer for each, their fact applied once or not at all.
  const derived = (r: RequestRecord) => eventIdFor(input.service, r.idempotencyKey);
  const unconverged = troubled.filter((r) => r.outcome === 'pending').length;
  const landed = troubled.filter((r) => onLog.has(derived(r))).length;
  const rewritten = troubled.filter((r) => (onLog.get(derived(r)) ?? 0) > 1).length;
  const appliedTwice = troubled.filter((r) => applied(r.subjectId, derived(r)) > 1).length;
  const lostAfterRetry = troubled.filter((r) => r.outcome === 'accepted' && applied(r.subjectId, derived(r)) === 0).length;
  invariants.push(
    line(
      '5xx/timeout requests converged, each fact applied at most once',
      unconverged === 0 && appliedTwice === 0 && lostAfterRetry === 0,
      `${troubled.length} retried, ${unconverged} without a final answer, ${landed} on the log (${rewritten} written twice under one event id, absorbed by the fold), ${appliedTwice} applied twice, ${lostAfterRetry} accepted but not applied`,
    ),
  );

  // 4. No worker group's offset past an erasure step its system has not acknowledged.
  invariants.push(await workerOffsets(input, log));

  // 5. Every erasure completed or failed visibly, and each certificate verifies.
  invariants.push(await erasures(input, accepted.filter((r) => r.kind === 'erasure')));

  // 5b. One completion per erasure step: a repeated acknowledgement (a worker's retry, a
  // processor's duplicated callback) is the same fact, under the same event id, never a second one.
  invariants.push(oneCompletionPerStep(log));

  // 6. A completed erasure means the data is gone: nothing of its subject left in the shop or the cache.
  if (input.data) invariants.push(await erasedDataGone(input, input.data, accepted.filter((r) => r.kind === 'erasure')));

  // 7. Nothing was dead-lettered: an outage is waited out, never blamed on a record (ADR 0012).
  const dlq = (await logEnds(input.kafka, topics.consentDlq)).reduce((sum, p) => sum + p.end, 0n);
  invariants.push(line('nothing dead-lettered', dlq === 0n, `${dlq} record(s) on consent.dlq`));

  // 8. consent.state holds what the projection holds.
  invariants.push(await stateMatches(input, topics.consentState, stateRows));

  return { invariants, figures: { accepted: accepted.length, lost: Math.max(lostOnLog, lostInProjection), doubled: doubledInProjection + appliedTwice + doubledOnLog, rewritten } };
}

async function workerOffsets(input: CheckInput, log: Logged[]): Promise<Invariant> {
  const topic = topicsFor(input.prefix).consentLog;
  const groups = consumerGroupsFor(input.prefix);
  // Work ids, not request ids: a request id may belong to two subjects (docs/adr/0008).
  const acknowledged = new Set(
    log.flatMap(({ event }) =>
      event.payload.type === 'ErasureStepCompleted' || event.payload.type === 'ErasureStepFailed' ? [`${erasureWorkId(event.subject_id, event.payload.request_id)}\u0000${event.payload.system}`] : [],
    ),
  );
  // A step awaiting its retry or a processor's confirmation is held there, not lost.
  const { rows } = await input.pool.query<{ work_id: string; system: string }>(`select work_id, system from "${input.schema}".outstanding_steps where confirmed_at is null`);
  const scheduled = new Set(rows.map((row) => `${row.work_id}\u0000${row.system}`));
  const admin = input.kafka.admin();
  await admin.connect();
  let passed = 0;
  const skipped: string[] = [];
  try {
    for (const system of input.systems) {
      const [committed] = await admin.fetchOffsets({ groupId: groups.erasureWorker(system), topics: [topic] });
      const position = new Map(committed.partitions.map((p) => [p.partition, BigInt(p.offset)]));
      for (const { partition, offset, event } of log) {
        const { payload } = event;
        if (payload.type !== 'ErasureRequested' || !(payload.all_systems || payload.systems.includes(system))) continue;
        if (offset >= (position.get(partition) ?? -1n)) continue; // not passed yet
        const key = `${erasureWorkId(event.subject_id, payload.request_id)}\u0000${system}`;
        if (acknowledged.has(key) || scheduled.has(key)) passed += 1;
        else skipped.push(`${system}@${partition}:${offset}`);
      }
    }
  } finally {
    await admin.disconnect();
  }
  return line('no worker group past an unacknowledged erasure step', skipped.length === 0, `${passed} step(s) behind committed offsets acknowledged, ${skipped.length} not${skipped.length ? ` (${skipped.slice(0, 5).join(', ')})` : ''}`);
}

function oneCompletionPerStep(log: Logged[]): Invariant {
  const completions = new Map<string, Set<string>>();
  for (const { event } of log) {
    if (event.payload.type !== 'ErasureStepCompleted') continue;
    const step = `${event.subject_id}\u0000${event.payload.request_id}\u0000${event.payload.system}`;
    completions.set(step, (completions.get(step) ?? new Set()).add(event.event_id));
  }
  const doubled = [...completions.values()].filter((ids) => ids.size > 1).length;
  return line('each erasure step completed by one fact', doubled === 0, `${completions.size} step(s) completed, ${doubled} under more than one event id`);
}

async function erasures(input: CheckInput, requested: RequestRecord[]): Promise<Invariant> {
  const ids = requested.map((r) => r.requestId as string);
  const { rows } = await input.pool.query<{ request_id: string; status: string; failed: number }>(
    `select r.request_id, r.status, count(s.*) filter (where s.status = 'failed')::int as failed
       from "${input.schema}".erasure_requests r left join "${input.schema}".erasure_steps s using (request_id)
      where r.request_id = any($1) group by r.request_id, r.status`,
    [ids],
  );
  const byId = new Map(rows.map((row) => [row.request_id, row]));
  const completed = rows.filter((row) => row.status === 'completed');
  const failed = rows.filter((row) => row.status !== 'completed' && row.failed > 0).length;
  const pending = ids.length - completed.length - failed;
  const signing = publicKeyFrom(privateKeyFromSeed(signingKeyFrom(input.env).seed));
  const checkpoints = parseVerifierKey(verifierKey('lethe-checkpoints', privateKeyFromSeed(checkpointKeyFrom(input.env).seed)));
  let verified = 0;
  const problems: string[] = [];
  for (const { request_id } of completed) {
    const certificate = await certificateOf(input.api, request_id);
    if (!certificate) {
      problems.push('no certificate');
      continue;
    }
    const signature = verifyCertificate(certificate, signing);
    const cited = signature.valid ? signature.certificate.checkpoint : undefined;
    const checkpoint = !signature.valid ? signature : cited ? verifyCitedCheckpoint(cited, citedPositions(signature.certificate), checkpoints) : { valid: false as const, problem: 'cites no checkpoint' };
    if (signature.valid && checkpoint.valid) verified += 1;
    else problems.push(checkpoint.valid ? 'invalid' : checkpoint.problem);
  }
  const missing = ids.filter((id) => !byId.has(id)).length;
  return line(
    'every erasure completed or failed, each certificate verifies',
    pending === 0 && problems.length === 0,
    `${ids.length} accepted, ${completed.length} completed (${verified} certificates verified), ${failed} failed, ${pending} pending (${missing} unknown to the projection)${problems.length ? `; ${problems.length} certificate problem(s): ${[...new Set(problems)].slice(0, 3).join('; ')}` : ''}`,
  );
}

async function erasedDataGone(input: CheckInput, data: SystemData, requested: RequestRecord[]): Promise<Invariant> {
  const { rows } = await input.pool.query<{ subject_id: string }>(`select subject_id from "${input.schema}".erasure_requests where request_id = any($1) and status = 'completed'`, [
    requested.map((r) => r.requestId as string),
  ]);
  const subjects = rows.map((row) => row.subject_id);
  const left = await subjectsWithData(input.pool, data, subjects);
  return line(
    'every completed erasure left no data in the shop or the cache',
    left.shop.length === 0 && left.cache.length === 0,
    `${subjects.length} completed, ${left.shop.length} with shop rows left, ${left.cache.length} with a session key left`,
  );
}

/** The certificate, once a checkpoint covers it (409 checkpoint_pending for a few seconds after completion). */
async function certificateOf(api: CheckInput['api'], requestId: string, timeoutMs = 30_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${api.url}/v1/erasure-requests/${encodeURIComponent(requestId)}/certificate`, { headers: { authorization: `Bearer ${api.key}` } }).catch(() => null);
    if (response?.ok) return response.json();
    if (Date.now() > deadline) return null;
    await new Promise((done) => setTimeout(done, 500));
  }
}

async function stateMatches(input: CheckInput, topic: string, rows: { subject_id: string; state: SubjectState; updated_at: Date }[]): Promise<Invariant> {
  const codec = ConsentStateCodec.forRegistry(input.registryUrl, subjectsFor(topicsFor(input.prefix)).consentStateValue);
  // The last state per subject (what compaction keeps, what a reader starting now ends on), and
  // every version published for it: a different last state is either older than one published
  // before it (published out of order) or older than any published (the newer one never landed).
  const latest = new Map<string, ConsentState | null>();
  const versions = new Map<string, Set<number>>();
  await readAll(input.kafka, topic, async (_partition, _offset, value, key) => {
    const state = value ? await codec.decode(value) : null;
    latest.set(key, state);
    if (state) versions.set(key, (versions.get(key) ?? new Set()).add(state.version));
  });
  // updated_at says when the projector wrote, not what the log says: left out.
  const comparable = (state: ConsentState) => JSON.stringify({ ...state, updated_at: 0 });
  let equal = 0;
  const differ = { older: 0, reordered: 0, other: 0 };
  // Which fields a state not older than the projection's differs in (names only, never values).
  const fields = new Map<string, number>();
  let absent = 0;
  for (const row of rows) {
    const published = latest.get(row.subject_id);
    const projected = toConsentState(row.state, 0);
    if (!published) absent += 1;
    else if (comparable(published) === comparable(projected)) equal += 1;
    else if (published.version >= projected.version) {
      differ.other += 1;
      for (const field of differingFields(published, projected)) fields.set(field, (fields.get(field) ?? 0) + 1);
    }
    else if (versions.get(row.subject_id)?.has(projected.version)) differ.reordered += 1;
    else differ.older += 1;
  }
  const different = differ.older + differ.reordered + differ.other;
  const projectedIds = new Set(rows.map((row) => row.subject_id));
  const extra = [...latest.keys()].filter((key) => !projectedIds.has(key)).length;
  return line(
    'consent.state equals the projection',
    different === 0 && absent === 0 && extra === 0,
    `${rows.length} subjects, ${equal} equal, ${different} different (${differ.older} older, the projection's version never published; ${differ.reordered} older, published after the projection's version; ${differ.other} not older${fields.size ? `: ${[...fields].map(([field, n]) => `${field} ×${n}`).join(', ')}` : ''}), ${absent} missing on consent.state, ${extra} only on consent.state`,
  );
}

function differingFields(published: ConsentState, projected: ConsentState): string[] {
  return (Object.keys(projected) as (keyof ConsentState)[]).filter((field) => field !== 'updated_at' && JSON.stringify(published[field]) !== JSON.stringify(projected[field]));
}

/** The lines the checker prints: `PASS name: counts`. */
export function formatInvariants(invariants: Invariant[]): string {
  return invariants.map((i) => `${i.pass ? 'PASS' : 'FAIL'} ${i.name}: ${i.detail}`).join('\n');
}
