import autocannon from 'autocannon';

/** What one autocannon run measured. */
export interface LoadResult {
  requests: number;
  accepted: number;
  failed: number;
  perSecond: number;
  p50: number;
  p99: number;
}

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  /** Requests per second over all connections (open loop as far as the connections allow); none: as fast as answered. */
  overallRate?: number;
}

let subjects = 0;

/** One request of a load run: its path, body and headers of its own. */
export interface BenchRequest {
  path: string;
  body: string;
  headers?: Record<string, string>;
}

/** A withdrawal of a subject no request has named before. */
export function newSubjectWithdrawal(): BenchRequest {
  return { path: `/v1/subjects/bench-${process.pid}-${subjects++}/consents/withdraw`, body: WITHDRAWAL };
}

/**
 * An erasure request of a subject no request has named before, as a careful client sends it: its
 * own request id, an e-mail identity (encrypted under the subject's key, created on first use)
 * and an Idempotency-Key.
 */
export function newSubjectErasure(): BenchRequest {
  const n = subjects++;
  return {
    path: `/v1/subjects/bench-${process.pid}-${n}/erasure-requests`,
    body: JSON.stringify({ requestId: `dsr-${process.pid}-${n}`, scope: 'ALL', jurisdiction: 'GDPR', identities: [{ type: 'email', value: `c${n}@example.com` }] }),
    headers: { 'idempotency-key': `erase-${process.pid}-${n}` },
  };
}

const WITHDRAWAL = JSON.stringify({ purposes: ['marketing'] });

/** POSTs a withdrawal of a new subject each request, so no two requests touch one subject. */
export function withdrawals(options: LoadOptions): Promise<LoadResult> {
  return closedLoop(options, newSubjectWithdrawal);
}

/** POSTs `requestFor()` on every connection, each answer followed by the next request. */
export async function closedLoop({ url, headers = {}, connections, seconds, overallRate }: LoadOptions, requestFor: () => BenchRequest): Promise<LoadResult> {
  const run = await autocannon({
    url,
    connections,
    duration: seconds,
    overallRate,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        setupRequest: (request: Record<string, unknown>) => {
          const next = requestFor();
          return { ...request, path: next.path, body: next.body, headers: { ...(request.headers as object), ...next.headers } };
        },
      },
    ],
  });
  const accepted = run['2xx'];
  return {
    requests: run.requests.total,
    accepted,
    failed: run.non2xx + run.errors + run.timeouts,
    perSecond: Math.round(accepted / seconds),
    p50: run.latency.p50,
    p99: run.latency.p99,
  };
}

/**
 * consent-api's own metrics, scraped once: `sum(name, labels)` adds up every sample of `name`
 * whose labels contain `labels` (all of them when none is given; an unlabelled metric's one value).
 */
export async function scrapeApiMetrics(url: string): Promise<{ sum: (name: string, labels?: string) => number }> {
  const lines = (await (await fetch(`${url}/metrics`)).text()).split('\n');
  const samples = lines.filter((line) => !line.startsWith('#')).map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))] as const);
  return {
    sum: (name, labels = '') =>
      samples.filter(([series]) => (series === name && labels === '') || (series.startsWith(`${name}{`) && series.includes(labels))).reduce((total, [, value]) => total + value, 0),
  };
}

