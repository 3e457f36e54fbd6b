import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGNATURE_HEADERS, signPayload, verifySignature } from '@lethe/connectors';

/**
 * A third-party marketing processor, as a real HTTP server on loopback: it takes OpenDSR erasure
 * requests signed by Lethe, answers 202 at once, and confirms a moment later through the signed
 * status callback, as asynchronous processors do. It can be told to be down (503) for a while,
 * or to accept requests and never confirm them (`confirmAfterMs: null`), or to send its callbacks
 * as a careless processor does: each more than once, late by up to `jitterMs`, so they arrive out
 * of order, followed by an `in_progress` that was overtaken by the final one. Like a real
 * processor, it sends a callback again when Lethe answers 5xx (an overloaded API sheds writes).
 */
export interface CallbackHabits {
  /** Copies of each final callback (1: once). */
  copies?: number;
  /** Each copy waits up to this much longer, at random. */
  jitterMs?: number;
  /** Then a stale `in_progress` for the same request. */
  staleInProgress?: boolean;
}

export interface ReceivedRequest {
  subjectRequestId: string;
  type: string;
  identities: { identity_type: string; identity_value: string }[];
}

export class FakeProcessor {
  readonly received: ReceivedRequest[] = [];
  /** Requests refused with 503 (the processor is down). */
  refused = 0;
  /** Callbacks beyond the first final one of each request (copies, stale statuses) that Lethe took (202). */
  extraCallbacks = 0;
  /** Callbacks sent again because Lethe answered 5xx or could not be reached. */
  callbackRetries = 0;
  private stopped = false;
  private server?: Server;
  private downFor = 0;
  private down = false;
  private readonly confirmed = new Set<string>();

  constructor(
    private readonly secret: string,
    private readonly confirmAfterMs: number | null = 100,
    private readonly habits: CallbackHabits = {},
  ) {}

  /** Answers the next `count` requests with 503, then works again. */
  failNext(count: number): void {
    this.downFor = count;
  }

  /** Answers every request with 503 until told otherwise. */
  setDown(down: boolean): void {
    this.down = down;
  }

  /** Listens on loopback (a free port unless one is given) and returns the request URL. */
  async start(port = 0): Promise<string> {
    this.stopped = false;
    this.server = createServer((req, res) => void this.handle(req).then(([status, body]) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))));
    await new Promise<void>((done) => this.server?.listen(port, '127.0.0.1', done));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/opendsr/v1/requests`;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await new Promise((done) => this.server?.close(done));
  }

  private async handle(req: IncomingMessage): Promise<[number, object]> {
    if (req.method !== 'POST') return [200, { status: 'ready' }];
    const raw = await readBody(req);
    const check = verifySignature({
      secret: this.secret,
      timestamp: header(req, SIGNATURE_HEADERS.timestamp),
      signature: header(req, SIGNATURE_HEADERS.signature),
      rawBody: raw,
      nowSeconds: Math.floor(Date.now() / 1000),
      windowSeconds: 300,
    });
    if (check !== 'ok') return [401, { error: check }];
    if (this.down || this.downFor > 0) {
      if (!this.down) this.downFor -= 1;
      this.refused += 1;
      return [503, { error: 'temporarily unavailable' }];
    }
    const body = JSON.parse(raw.toString('utf8'));
    this.received.push({ subjectRequestId: body.subject_request_id, type: body.subject_request_type, identities: body.subject_identities ?? [] });
    const delay = this.confirmAfterMs;
    if (delay !== null) for (const url of body.status_callback_urls ?? []) this.scheduleCallbacks(url, body.subject_request_id, delay);
    return [202, { subject_request_id: body.subject_request_id, request_status: 'pending' }];
  }

  private scheduleCallbacks(url: string, requestId: string, delay: number): void {
    const { copies = 1, jitterMs = 0, staleInProgress = false } = this.habits;
    const late = () => delay + Math.floor(Math.random() * (jitterMs + 1));
    setTimeout(() => void this.confirm(url, requestId), late());
    const extra = (status: 'completed' | 'in_progress', after: number) =>
      setTimeout(() => void this.deliver(url, requestId, status).then((taken) => void (taken && (this.extraCallbacks += 1))), after);
    for (let copy = 1; copy < copies; copy++) extra('completed', late());
    if (staleInProgress) extra('in_progress', delay + jitterMs + 50);
  }

  /** Signed status callback; a processor sends it once per request, however often it was asked. */
  private async confirm(url: string, requestId: string): Promise<void> {
    if (this.confirmed.has(requestId)) return;
    this.confirmed.add(requestId);
    if (!(await this.deliver(url, requestId, 'completed'))) this.confirmed.delete(requestId); // not taken: the next request confirms again
  }

  /**
   * Sends a callback as processors do: again after a 5xx or a lost connection (after Retry-After
   * when given, else a doubling wait), for up to a minute; true once Lethe took it (202).
   */
  private async deliver(url: string, requestId: string, status: 'completed' | 'in_progress'): Promise<boolean> {
    const giveUpAt = Date.now() + 60_000;
    for (let wait = 250; !this.stopped; wait = Math.min(wait * 2, 4_000)) {
      const response = await this.sendCallback(url, requestId, status).catch(() => null);
      await response?.arrayBuffer().catch(() => undefined);
      if (response && response.status < 500) return response.status === 202;
      const retryAfter = Number(response?.headers.get('retry-after')) * 1000;
      const pause = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : wait;
      if (Date.now() + pause > giveUpAt) return false;
      this.callbackRetries += 1;
      await new Promise((done) => setTimeout(done, pause).unref());
    }
    return false;
  }

  /** Sends one signed status callback for `requestId` to `url`, whenever the caller wants. */
  async sendCallback(url: string, requestId: string, status: 'completed' | 'failed' | 'in_progress' = 'completed'): Promise<Response> {
    const outcome = status === 'completed' ? { counts: { contacts: 1 } } : status === 'failed' ? { reason: 'processor_error' } : {};
    const body = JSON.stringify({ subject_request_id: requestId, request_status: status, processor_id: 'fake-marketing', ...outcome });
    const timestamp = Math.floor(Date.now() / 1000);
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADERS.timestamp]: String(timestamp), [SIGNATURE_HEADERS.signature]: signPayload(this.secret, timestamp, body) },
      body,
    });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
