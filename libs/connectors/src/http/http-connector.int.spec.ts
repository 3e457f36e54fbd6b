import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uniqueName } from '@lethe/testing';
import { ConnectorError, ErasureTarget } from '../connector';
import { HttpConnector } from './http-connector';
import { verifySignature } from './signature';

// A processor played by a real HTTP server on loopback: it checks the signature of every request
// with the shared secret and answers as the test scripts it.

const SECRET = 'processor-shared-secret-0123456789';
const EMAIL = 'ada@example.com';

interface Received {
  method: string;
  signature: ReturnType<typeof verifySignature>;
  idempotencyKey: string | undefined;
  body: Record<string, unknown> | null;
}

type Answer = (response: ServerResponse) => void;
const json = (status: number, body?: object): Answer => (response) => {
  response.writeHead(status, { 'content-type': 'application/json' }).end(body ? JSON.stringify(body) : undefined);
};
const hang: Answer = () => undefined;

let server: Server;
let url: string;
let received: Received[];
let answers: Answer[];

function target(workId = uniqueName('work')): ErasureTarget {
  return {
    workId,
    subjectId: 'subj-1',
    identities: [{ type: 'email', value: EMAIL }, { type: 'phone', value: '+491701234567' }],
    scope: 'ALL',
    purposes: [],
    keepTransactionHistory: false,
    jurisdiction: 'GDPR',
  };
}

function connector(overrides: Record<string, unknown> = {}) {
  return new HttpConnector({ system: 'mail-vendor', url, secret: SECRET, callbackUrl: 'http://127.0.0.1:3000/v1/processors/mail-vendor/callbacks', identities: ['email'], timeoutMs: 1_000, ...overrides });
}

async function failure(work: Promise<unknown>): Promise<ConnectorError> {
  const error = await work.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ConnectorError);
  const message = (error as ConnectorError).message;
  for (const secretive of [SECRET, EMAIL, url]) expect(message).not.toContain(secretive);
  return error as ConnectorError;
}

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const header = (name: string) => request.headers[name] as string | undefined;
      received.push({
        method: request.method ?? '',
        signature: verifySignature({ secret: SECRET, timestamp: header('x-lethe-timestamp'), signature: header('x-lethe-signature'), rawBody: raw, nowSeconds: Math.floor(Date.now() / 1000), windowSeconds: 300 }),
        idempotencyKey: header('idempotency-key'),
        body: raw.length > 0 ? JSON.parse(raw.toString('utf8')) : null,
      });
      (answers.shift() ?? json(500))(response);
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/opendsr_requests`;
});

beforeEach(() => {
  received = [];
  answers = [];
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((closed) => server.close(closed));
});

describe('HttpConnector against a processor', () => {
  it('sends one signed OpenDSR erasure request and reports a synchronous completion', async () => {
    answers.push(json(200, { subject_request_id: 'x', request_status: 'completed', results_count: 3 }));
    const request = target();
    const outcome = await connector().erase(request);

    expect(outcome).toEqual({ action: 'forwarded', counts: { requests: 1, identities: 1, records: 3 }, strategies: {}, legalHold: null, alreadyDone: false });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', signature: 'ok', idempotencyKey: request.workId });
    expect(received[0].body).toEqual({
      regulation: 'gdpr',
      subject_request_id: request.workId,
      subject_request_type: 'erasure',
      submitted_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      subject_identities: [{ identity_type: 'email', identity_value: EMAIL, identity_format: 'raw' }],
      api_version: '1.0',
      status_callback_urls: ['http://127.0.0.1:3000/v1/processors/mail-vendor/callbacks'],
    });
  });

  it('reports an accepted request as awaiting the callback, for 202 and for a pending status', async () => {
    answers.push(json(202), json(201, { request_status: 'pending' }));
    const accepted = await connector().erase(target());
    const pending = await connector().erase(target());

    expect(accepted).toMatchObject({ action: 'forwarded', awaitingConfirmation: true, alreadyDone: false, counts: { requests: 1, identities: 1 } });
    expect(pending).toMatchObject({ awaitingConfirmation: true });
    expect(received.map((r) => r.signature)).toEqual(['ok', 'ok']);
  });

  it('fails retryably on 503 and succeeds when the same request is sent again', async () => {
    answers.push(json(503), json(200, { request_status: 'completed' }));
    const request = target();
    const error = await failure(connector().erase(request));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/the processor answered 503/);

    await expect(connector().erase(request)).resolves.toMatchObject({ action: 'forwarded', alreadyDone: false });
    expect(received.map((r) => r.body?.subject_request_id)).toEqual([request.workId, request.workId]);
  });

  it('retries a rate limit, and treats 409 as a request the processor already holds', async () => {
    answers.push(json(429), json(409));
    expect((await failure(connector().erase(target()))).retryable).toBe(true);
    await expect(connector().erase(target())).resolves.toMatchObject({ awaitingConfirmation: true, alreadyDone: true });
  });

  it('fails for good on 400 and on a cancelled request', async () => {
    answers.push(json(400, { error: { code: 400, message: `bad identity ${EMAIL}` } }), json(200, { request_status: 'cancelled' }));
    const refused = await failure(connector().erase(target()));
    expect(refused).toMatchObject({ retryable: false, message: expect.stringMatching(/answered 400$/) });
    const cancelled = await failure(connector().erase(target()));
    expect(cancelled).toMatchObject({ retryable: false, message: expect.stringMatching(/reports the request cancelled/) });
  });

  it('gives up on a processor that does not answer within the timeout, retryably', async () => {
    answers.push(hang);
    const started = Date.now();
    const error = await failure(connector({ timeoutMs: 300 }).erase(target()));
    expect(error).toMatchObject({ retryable: true, message: expect.stringMatching(/no answer within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a refused connection retryably, without the URL', async () => {
    // A port that was free a moment ago (fetch refuses to dial well-known ports such as 1).
    const probe = createServer();
    await new Promise<void>((listening) => probe.listen(0, '127.0.0.1', listening));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((closed) => probe.close(closed));
    const closed = new HttpConnector({ system: 'mail-vendor', url: `http://127.0.0.1:${port}/v1/opendsr_requests`, secret: SECRET });
    const error = await failure(closed.erase(target()));
    expect(error).toMatchObject({ retryable: true, message: expect.stringMatching(/cannot reach the processor \(ECONNREFUSED\)/) });
    expect(error.message).not.toContain('127.0.0.1');
    await expect(closed.testConnection()).rejects.toMatchObject({ retryable: true });
  });

  it('sends nothing in a dry run, and reports what it would send', async () => {
    await expect(connector().dryRun(target())).resolves.toEqual({ action: 'forwarded', counts: { requests: 1, identities: 1 }, strategies: {}, legalHold: null, alreadyDone: false });
    expect(received).toEqual([]);
  });

  it('refuses for good a request without an identity the processor receives, sending nothing', async () => {
    const error = await failure(connector({ identities: ['customer_id'] }).erase(target()));
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/^http connector "mail-vendor": erase failed: no_identity_for_match: .*\(customer_id\)/) });
    expect(received).toEqual([]);
  });

  it('tests the connection with a HEAD request, unsigned and without a body', async () => {
    answers.push(json(405));
    await expect(connector().testConnection()).resolves.toBeUndefined();
    expect(received).toEqual([{ method: 'HEAD', signature: 'malformed', idempotencyKey: undefined, body: null }]);
  });
});
