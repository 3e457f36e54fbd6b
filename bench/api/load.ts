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

/** A withdrawal of a subject no request has named before. */
export function newSubjectWithdrawal(): { path: string; body: string } {
  return { path: `/v1/subjects/bench-${process.pid}-${subjects++}/consents/withdraw`, body: WITHDRAWAL };
}

const WITHDRAWAL = JSON.stringify({ purposes: ['marketing'] });

/** POSTs a withdrawal of a new subject each request, so no two requests touch one subject. */
export async function withdrawals({ url, headers = {}, connections, seconds, overallRate }: LoadOptions): Promise<LoadResult> {
  const run = await autocannon({
    url,
    connections,
    duration: seconds,
    overallRate,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: WITHDRAWAL,
        setupRequest: (request: Record<string, unknown>) => ({ ...request, path: newSubjectWithdrawal().path }),
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
