import { Agent, request } from 'node:http';
import type { BenchRequest, LoadResult } from './load';

export interface OpenLoopOptions {
  url: string;
  headers: Record<string, string>;
  /** Requests per second, sent evenly whatever the answers do (autocannon's rates send each second's share at once). */
  rate: number;
  seconds: number;
  /** The path, body and headers of its own of the n-th request. */
  requestFor: (n: number) => BenchRequest;
  /** Connections at most (128): a request due while all are busy waits for one. */
  maxSockets?: number;
  /** A request unanswered this long after it was sent is abandoned and counted as a timeout (30 s). */
  timeoutMs?: number;
}

/** What an open-loop run saw: besides the 2xx rate and latencies, every status and the requests that got no answer. */
export interface OpenLoopResult extends LoadResult {
  statuses: Record<string, number>;
  timeouts: number;
  errors: number;
  /** Timeouts and errors by where the request was: queued for a connection, connecting, or sent and waiting for its answer; errors also by code. */
  unanswered: Record<string, number>;
  /** Connections the client opened: a pool that keeps growing means answers are slow, or connections are being closed. */
  connectionsOpened: number;
}

/**
 * An open-loop client: request n is due at start + n / rate and sent then, on a connection of
 * its own (up to 128) if none is free, and its latency counts from when it was due, so a slow answer
 * cannot hold back the requests behind it (no coordinated omission).
 */
export async function openLoop({ url, headers, rate, seconds, requestFor, maxSockets = 128, timeoutMs = 30_000 }: OpenLoopOptions): Promise<OpenLoopResult> {
  // Like a service with a connection pool: a request due while all are busy waits for one (its latency still counts from when it was due).
  const agent = new Agent({ keepAlive: true, maxSockets });
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let [failed, timeouts, errors] = [0, 0, 0];
  const unanswered: Record<string, number> = {};
  let connectionsOpened = 0;
  const answers: Promise<void>[] = [];
  const started = performance.now();
  for (let n = 0; n < total; ) {
    const now = performance.now();
    for (; n < total && started + (n * 1000) / rate <= now; n++) answers.push(send(n, started + (n * 1000) / rate));
    await new Promise((tick) => setTimeout(tick, 1));
  }
  await Promise.all(answers);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN);
  return { requests: total, accepted: latencies.length, failed, perSecond: Math.round(latencies.length / seconds), p50: at(0.5), p99: at(0.99), statuses, timeouts, errors, unanswered, connectionsOpened };

  function send(n: number, due: number): Promise<void> {
    const { path, body, headers: own } = requestFor(n);
    return new Promise((done) => {
      let timedOut = false;
      let [assigned, connected] = [false, false];
      const req = request(new URL(path, url), { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers, ...own }, timeout: timeoutMs }, (res) => {
        res.resume();
        res.once('end', () => {
          const status = String(res.statusCode);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (res.statusCode && res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - due);
          else failed++;
          done();
        });
      });
      req.once('socket', (socket) => {
        assigned = true;
        if (!socket.connecting) connected = true;
        else {
          connectionsOpened++;
          socket.once('connect', () => (connected = true));
        }
      });
      req.once('error', (error: NodeJS.ErrnoException) => {
        failed++;
        if (timedOut) timeouts++;
        else errors++;
        const phase = connected ? 'waiting for the answer' : assigned ? 'while connecting' : 'queued in the client for a connection';
        const where = `${timedOut ? 'timeout' : `error ${error.code ?? 'unknown'}`} ${phase}`;
        unanswered[where] = (unanswered[where] ?? 0) + 1;
        done();
      });
      req.once('timeout', () => {
        timedOut = true;
        req.destroy();
      });
      req.end(body);
    });
  }
}
