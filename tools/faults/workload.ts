import { appendFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';

/** One answer to one attempt: the HTTP status, or `timeout` / `error` when none came. */
export interface Attempt {
  /** When it was sent, and when its answer (or the lack of one) was known. */
  sent: number;
  at: number;
  status: number | 'timeout' | 'error';
  eventId?: string;
}

export type Kind = 'grant' | 'withdraw' | 'opt-out' | 'gpc' | 'erasure';

/** Every request the workload made, with all its attempts under one Idempotency-Key. */
export interface RequestRecord {
  n: number;
  kind: Kind;
  idempotencyKey: string;
  subjectId: string;
  requestId?: string;
  path: string;
  body: string;
  headers: Record<string, string>;
  attempts: Attempt[];
  /** The event id of the 2xx answer that names one. */
  eventId?: string;
  /** accepted: 2xx naming an event; unchanged: 2xx, nothing to write; refused: a final 4xx; pending: no final answer yet. */
  outcome: 'accepted' | 'unchanged' | 'refused' | 'pending';
}

export interface WorkloadOptions {
  apiUrl: string;
  apiKey: string;
  /** Requests per second, sent on schedule whatever the answers (open loop). */
  rate: number;
  /** Tells this run's subjects and keys from any other's. */
  runId: string;
  /** Give up waiting for one attempt's answer after this long (then it is retried). */
  timeoutMs?: number;
}

/** The mix, in a fixed cycle so every run sends the same shares: grants, withdrawals, opt-outs, GPC signals, erasures. */
const MIX: Kind[] = ['grant', 'withdraw', 'grant', 'opt-out', 'gpc', 'withdraw', 'grant', 'erasure', 'opt-out', 'withdraw'];
/** Consent subjects are reused, so a subject's grants and withdrawals interleave; each erasure has a subject of its own. */
const CONSENT_SUBJECTS = 200;
const erasureSubject = (runId: string, n: number) => `fs-${runId}-er-${n}`;

/** The subjects of a run's first `count` erasures, in the order it sends them (so their data can be seeded before). */
export function erasureSubjects(runId: string, count: number): string[] {
  const subjects: string[] = [];
  for (let n = 0; subjects.length < count; n += 1) if (MIX[n % MIX.length] === 'erasure') subjects.push(erasureSubject(runId, n));
  return subjects;
}

const retryable = (attempt: Attempt, body: string) =>
  attempt.status === 'timeout' || attempt.status === 'error' || (typeof attempt.status === 'number' && attempt.status >= 500) || (attempt.status === 409 && body.includes('still in progress'));

/**
 * A sustained mixed workload through the real HTTP API at a fixed open-loop rate. Each request
 * has its own Idempotency-Key; one answered 5xx, 409 in-progress, or not at all is sent again
 * with the same key and body, with backoff, until it gets a final answer (or `settle` gives up).
 */
export class Workload {
  readonly requests: RequestRecord[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1_024 });
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private started = 0;
  private stopped = false;
  /** After `settle`: no attempt is made or retried any more, so the records hold still while they are checked. */
  private closed = false;

  constructor(private readonly options: WorkloadOptions) {}

  /** Starts sending; request n is due at start + n / rate. */
  start(): void {
    this.started = performance.now();
    const tick = () => {
      const due = Math.floor(((performance.now() - this.started) * this.options.rate) / 1000) + 1;
      while (!this.stopped && this.requests.length < due) this.send(this.next());
      if (!this.stopped) this.timer = setTimeout(tick, 5);
    };
    tick();
  }

  /** Stops sending new requests; retries go on. */
  stopSending(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * Stops sending and waits until every request has a final answer, retrying until `timeoutMs`;
   * then makes no attempt any more (an answer still in flight is recorded, never retried), so
   * what the checker reads afterwards cannot change under it. Returns those without a final answer.
   */
  async settle(timeoutMs = 120_000): Promise<RequestRecord[]> {
    this.stopSending();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.requests.some((r) => r.outcome === 'pending')) {
      await new Promise((done) => setTimeout(done, 100));
    }
    this.closed = true;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    await Promise.all(this.inFlight);
    this.agent.destroy();
    return this.requests.filter((r) => r.outcome === 'pending');
  }

  /**
   * Resolves once `streak` new requests in a row, sent after `since`, were accepted (202, an
   * append acknowledged) at the first attempt: writes succeed again. Answers of 200 (unchanged:
   * nothing to append, so no broker involved) neither count nor break the streak. Rejects after `timeoutMs`.
   */
  async writesSucceed(since: number, timeoutMs: number, streak = 10): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const fresh = this.requests.filter((r) => r.attempts.length > 0 && r.attempts[0].sent >= since && r.attempts[0].status !== 200);
      const last = fresh.slice(-streak);
      if (last.length === streak && last.every((r) => r.attempts[0].status === 202)) return;
      if (Date.now() > deadline) throw new Error(`writes did not succeed again within ${timeoutMs} ms`);
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  /** Writes every record, one JSON line each, for `npm run faults:check`. */
  save(file: string): void {
    writeFileSync(file, '');
    for (const record of this.requests) appendFileSync(file, `${JSON.stringify(record)}\n`);
  }

  private next(): RequestRecord {
    const n = this.requests.length;
    const kind = MIX[n % MIX.length];
    const { runId } = this.options;
    const subjectId = kind === 'erasure' ? erasureSubject(runId, n) : `fs-${runId}-${n % CONSENT_SUBJECTS}`;
    const base = `/v1/subjects/${subjectId}`;
    const shapes: Record<Kind, { path: string; body: object; headers?: Record<string, string> }> = {
      grant: { path: `${base}/consents/grant`, body: { purposes: ['marketing', 'analytics'], policyVersion: '2026-01', jurisdiction: 'GDPR' } },
      withdraw: { path: `${base}/consents/withdraw`, body: { purposes: ['marketing'], jurisdiction: 'GDPR' } },
      'opt-out': { path: `${base}/opt-outs`, body: { kinds: ['SALE'], jurisdiction: 'CCPA' } },
      gpc: { path: `${base}/gpc`, body: {}, headers: { 'sec-gpc': '1' } },
      // With an e-mail address, as a third-party processor needs one to find the person (synthetic).
      erasure: {
        path: `${base}/erasure-requests`,
        body: { requestId: `fs-${runId}-dsr-${n}`, scope: 'ALL', jurisdiction: 'GDPR', identities: [{ type: 'email', value: `${subjectId}@faults.example` }] },
      },
    };
    const shape = shapes[kind];
    const record: RequestRecord = {
      n,
      kind,
      idempotencyKey: `faults-${runId}-${n}`,
      subjectId,
      ...(kind === 'erasure' && { requestId: (shape.body as { requestId: string }).requestId }),
      path: shape.path,
      body: JSON.stringify(shape.body),
      headers: shape.headers ?? {},
      attempts: [],
      outcome: 'pending',
    };
    this.requests.push(record);
    return record;
  }

  private send(record: RequestRecord): void {
    const sent = this.attempt(record).then(({ attempt, body }) => {
      record.attempts.push(attempt);
      if (retryable(attempt, body)) return this.retryLater(record);
      const status = attempt.status as number;
      if (status >= 200 && status < 300) {
        const answer = JSON.parse(body) as { eventId?: string };
        record.eventId = answer.eventId;
        attempt.eventId = answer.eventId;
        record.outcome = answer.eventId ? 'accepted' : 'unchanged';
      } else {
        record.outcome = 'refused';
      }
    });
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  private retryLater(record: RequestRecord): void {
    if (this.closed) return;
    // Exponential from 500 ms up to 5 s, with jitter, so retries do not all land at once after an outage.
    const delay = Math.min(5_000, 500 * 2 ** Math.min(4, record.attempts.length - 1)) * (0.5 + Math.random() / 2);
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      this.send(record);
    }, delay);
    this.retries.add(timer);
  }

  private attempt(record: RequestRecord): Promise<{ attempt: Attempt; body: string }> {
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    const sent = Date.now();
    return new Promise((done) => {
      let settled = false;
      const finish = (status: Attempt['status'], body = '') => {
        if (settled) return;
        settled = true;
        done({ attempt: { sent, at: Date.now(), status }, body });
      };
      const req = httpRequest(
        new URL(record.path, this.options.apiUrl),
        {
          method: 'POST',
          agent: this.agent,
          timeout: timeoutMs,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.apiKey}`, 'idempotency-key': record.idempotencyKey, ...record.headers },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.once('end', () => finish(res.statusCode ?? 'error', body));
          res.once('error', () => finish('error'));
        },
      );
      req.once('timeout', () => {
        finish('timeout');
        req.destroy();
      });
      req.once('error', () => finish('error'));
      req.end(record.body);
    });
  }
}
