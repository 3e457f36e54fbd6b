import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppProcess } from './app-process';
import { waitFor } from './wait-for';

/** Forward to the real registry, refuse connections (nothing listens), or answer every request with this status. */
export type RegistryMode = 'forward' | 'refuse' | number;

/**
 * The schema registry as consumers see it through a loopback proxy the test controls: healthy
 * (forwarding to the real one), gone (the port refuses connections) or answering an error.
 */
export class RegistryProxy {
  /** Requests answered with an error status instead of forwarded. */
  failed = 0;
  /** Paths of the requests forwarded to the real registry, in arrival order. */
  readonly forwarded: string[] = [];
  private mode: RegistryMode = 'forward';
  private server?: Server;
  private port = 0;

  constructor(private readonly target: string) {}

  /** Listens on a free loopback port; returns the registry URL to give consumers (same path as the target). */
  async start(): Promise<string> {
    await this.listen();
    const target = new URL(this.target);
    return `http://127.0.0.1:${this.port}${target.pathname.replace(/\/$/, '')}`;
  }

  async setMode(mode: RegistryMode): Promise<void> {
    if (mode === 'refuse' && this.server) await this.close();
    if (mode !== 'refuse' && !this.server) await this.listen();
    this.mode = mode;
  }

  async stop(): Promise<void> {
    if (this.server) await this.close();
  }

  private async listen(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((done) => server.listen(this.port, '127.0.0.1', done));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private async close(): Promise<void> {
    const server = this.server as Server;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (typeof this.mode === 'number') {
      this.failed += 1;
      res.writeHead(this.mode, { 'content-type': 'application/json' }).end(JSON.stringify({ error_code: this.mode, message: 'test registry proxy' }));
      return;
    }
    this.forwarded.push(req.url ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = new URL(this.target);
    const response = await fetch(`${target.origin}${req.url}`, {
      method: req.method,
      headers: { 'content-type': req.headers['content-type'] ?? 'application/json', accept: req.headers.accept ?? '*/*' },
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await response.arrayBuffer()));
  }
}

/** Puts the registry in `mode` and waits until `app` logs `line` after that moment: it met that outage and retried. */
export async function retriedThrough(proxy: RegistryProxy, app: AppProcess, mode: RegistryMode, line: string): Promise<void> {
  const from = app.output.length;
  await proxy.setMode(mode);
  await waitFor(() => app.output.slice(from).includes(line), { description: `a retry after ${mode} (${line})`, timeoutMs: 30_000 });
}
