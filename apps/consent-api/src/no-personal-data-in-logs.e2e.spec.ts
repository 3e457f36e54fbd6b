import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { erasureWorkId } from '@lethe/contracts';
import { createShopSchema, FakeProcessor, freePort, seedCustomer, shopConfig, testEndpoints, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness } from './testing/api-harness';

// An erasure end-to-end on the real stack with every app logging at debug level: the API
// in-process (its stdout, stderr and console captured), the projector and the erasure worker as
// processes (their output piped here). No line of any of them may hold the shop customer's
// e-mail address, phone number, name or street, though all of them travel through the request.

jest.setTimeout(120_000);

const endpoints = testEndpoints();
const SECRET = randomBytes(24).toString('hex');
const DEBUG = { LETHE_LOG_LEVEL: 'debug' };
const PHONE = '+44 20 7946 0958';
const names = { shop: uniqueName('shop-db'), marketing: uniqueName('marketing') };

const lines: Record<'api' | 'projector' | 'worker', string[]> = { api: [], projector: [], worker: [] };
const children: ChildProcess[] = [];
const restores: (() => void)[] = [];
let api: ApiHarness;
let pool: Pool;
let shopSchema: string;
let processor: FakeProcessor;

/** Every write to the test process' stdout and stderr, and every console call, goes to lines.api too. */
function captureInProcess(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: never[]) => {
      lines.api.push(String(chunk));
      return write(chunk as string, ...rest);
    }) as typeof stream.write;
    restores.push(() => (stream.write = write));
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const spy = jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.api.push(args.map(String).join(' ')));
    restores.push(() => spy.mockRestore());
  }
}

function start(name: 'projector' | 'worker', entry: string, env: Record<string, string | undefined>): void {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(__dirname, entry)], { cwd: resolve(__dirname, '../../..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => lines[name].push(...chunk.toString('utf8').split('\n')));
  children.push(child);
}

beforeAll(async () => {
  captureInProcess();
  pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  shopSchema = await createShopSchema(pool);
  processor = new FakeProcessor(SECRET);
  const processorUrl = await processor.start();
  const apiPort = await freePort();
  const { system: _system, ...shop } = shopConfig(endpoints.databaseUrl, shopSchema);
  const systemsFile = join(mkdtempSync(join(tmpdir(), 'lethe-systems-')), 'systems.json');
  writeFileSync(
    systemsFile,
    JSON.stringify({
      systems: [
        { name: names.shop, type: 'sql', ...shop },
        { name: names.marketing, type: 'http', url: processorUrl, secret: SECRET, callbackUrl: `http://127.0.0.1:${apiPort}/v1/processors/${names.marketing}/callbacks` },
      ],
    }),
  );
  api = await ApiHarness.start('no-personal-data-e2e', { ...DEBUG, LETHE_SYSTEMS_FILE: systemsFile });
  await api.app.listen(apiPort, '127.0.0.1');
  start('projector', '../../projector/src/main.ts', { ...api.env, ...DEBUG, LETHE_PROJECTOR_GROUP: uniqueName('test.no-pii-projector') });
  start('worker', '../../erasure-worker/src/main.ts', { ...api.env, ...DEBUG, LETHE_SYSTEMS_FILE: systemsFile, LETHE_WORKER_RETRY_POLL_MS: '100' });
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => new Promise((done) => (child.exitCode !== null ? done(null) : child.once('exit', done)))));
  await api?.close();
  await processor?.stop();
  for (const restore of restores.reverse()) restore();
  await pool?.query(`drop schema if exists "${shopSchema}" cascade`);
  await pool?.end();
});

it('logs nothing personal of the customer anywhere while erasing them', async () => {
  const name = 'Ottilie Quarzbrenner';
  const customer = await seedCustomer(pool, shopSchema, name);
  const requestId = uniqueName('dsr');
  const identities = [
    { type: 'email', value: customer.email },
    { type: 'phone', value: PHONE },
  ];
  // Requests the API refuses carry the same data: the refusals must not log it either.
  await api.post(`/v1/subjects/${encodeURIComponent(customer.email)}/erasure-requests`, { scope: 'ALL' });
  await api.post(`/v1/subjects/${customer.externalId}/erasure-requests`, `{"scope": "ALL", "identities": [${customer.email}]}`);
  const created = await api.post(`/v1/subjects/${customer.externalId}/erasure-requests`, { requestId, scope: 'ALL', jurisdiction: 'GDPR', keepTransactionHistory: true, identities });
  expect(created.statusCode).toBe(202);
  await waitFor(
    async () => {
      const response = await api.call({ method: 'GET', url: `/v1/erasure-requests/${requestId}` });
      return response.statusCode === 200 && response.json().status === 'completed';
    },
    { description: `erasure request ${requestId} completed`, timeoutMs: 90_000 },
  );
  const workId = erasureWorkId(customer.externalId, requestId);
  expect(processor.received.filter((r) => r.subjectRequestId === workId)).toHaveLength(1);
  // The worker logs each step at debug level: one line naming the work proves its output was read.
  await waitFor(() => lines.worker.some((line) => line.includes(workId)), { description: 'the worker to log the request at debug level' });

  const personal = [customer.email, customer.email.split('@')[0], name, 'Ottilie', 'Quarzbrenner', name.toUpperCase(), PHONE, '7946 0958', '2079460958', 'Hauptstraße', 'Nebenweg'];
  const perApp = <T>(of: (logged: string[]) => T) => Object.fromEntries(Object.entries(lines).map(([app, logged]) => [app, of(logged)]));
  expect(perApp((logged) => logged.length > 0)).toEqual({ api: true, projector: true, worker: true });
  const leaks = perApp((logged) => logged.filter((line) => personal.some((value) => line.toLowerCase().includes(value.toLowerCase()))));
  expect(leaks).toEqual({ api: [], projector: [], worker: [] });
});
