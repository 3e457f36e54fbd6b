import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { AppProcess, freePort, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';

// consent-api as users run it (its own process) while every PostgreSQL connection it holds is
// terminated, again and again, as while the database restarts. It must stay up, answer what needs
// the database with 503 `database_unavailable` and Retry-After (never 500, never a hang), and
// serve again once the database is back; a write refused meanwhile passes when retried with its
// Idempotency-Key. The API-key cache is off, so every request asks PostgreSQL for its key.

jest.setTimeout(180_000);

const schema = `dbout_${randomBytes(6).toString('hex')}`;
const appName = uniqueName('lethe-dbout');
let admin: Pool;
let consentApi: AppProcess;
let api: string;
let key: string;
const prefix = `${uniqueName('test')}.`;

interface Answer {
  status: number;
  body: { reason?: string; message?: string };
  retryAfter: string | null;
}

async function call(path: string, method = 'GET', body?: object, idempotencyKey?: string): Promise<Answer> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, retryAfter: response.headers.get('retry-after') };
}

const withdraw = (subject: string, idempotencyKey: string) => call(`/v1/subjects/${subject}/consents/withdraw`, 'POST', { purposes: ['marketing'], jurisdiction: 'GDPR' }, idempotencyKey);

/** Terminates every backend of consent-api; how many there were. */
async function cutConnections(): Promise<number> {
  const { rows } = await admin.query(`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1`, [appName]);
  return rows[0].n;
}

beforeAll(async () => {
  admin = new Pool({ connectionString: testEndpoints().databaseUrl, max: 1, application_name: 'lethe-dbout-admin' });
  const port = await freePort();
  const env = {
    ...process.env,
    PGAPPNAME: appName,
    LETHE_DB_SCHEMA: schema,
    LETHE_TOPIC_PREFIX: prefix,
    LETHE_MASTER_KEY: randomBytes(32).toString('base64'),
    LETHE_SIGNING_KEY: randomBytes(32).toString('base64'),
    LETHE_API_PORT: String(port),
    LETHE_API_KEY_CACHE_MS: '0',
    LETHE_API_MAX_LOOP_DELAY_MS: '60000',
  };
  api = `http://127.0.0.1:${port}`;
  const keys = new AppProcess('apps/consent-api/src/api-keys.cli.ts', env, ['create', 'dbout-e2e']);
  expect(await keys.exited()).toBe(0);
  key = (keys.output.match(/lethe_[0-9a-f]+_[A-Za-z0-9_-]+/) ?? [''])[0];
  consentApi = new AppProcess('apps/consent-api/src/main.ts', env);
  await consentApi.answers(`${api}/health`, 'consent-api');
}, 150_000);

afterAll(async () => {
  await consentApi?.stop();
  await admin?.query(`drop schema if exists "${schema}" cascade`);
  await admin?.end();
  const kafkaAdmin = testKafka('dbout-e2e').admin();
  await kafkaAdmin.connect();
  const topics = (await kafkaAdmin.listTopics()).filter((topic) => topic.startsWith(prefix));
  await kafkaAdmin.deleteTopics({ topics }).finally(() => kafkaAdmin.disconnect());
});

it('stays up, answers 503 database_unavailable while its connections are cut, and converges on retry', async () => {
  const subject = uniqueName('subj');
  expect((await withdraw(subject, uniqueName('warm'))).status).toBe(202);

  const answers: Answer[] = [];
  const refusedWrites: string[] = [];
  let cutting = true;
  let cut = 0;
  const load = (async () => {
    for (let n = 0; cutting; n++) {
      const idempotencyKey = `outage-${n}-${uniqueName('k')}`;
      const [write, read] = await Promise.all([withdraw(subject, idempotencyKey), call(`/v1/subjects/${subject}/consent`)]);
      answers.push(write, read);
      if (write.status !== 202) refusedWrites.push(idempotencyKey);
    }
  })();
  const until = Date.now() + 6_000;
  while (Date.now() < until) {
    cut += await cutConnections();
    await new Promise((done) => setTimeout(done, 200));
  }
  cutting = false;
  await load;

  expect(consentApi.child.exitCode).toBeNull();
  expect(cut).toBeGreaterThan(0);
  const refused = answers.filter((answer) => answer.status >= 300);
  // The cuts were seen: at least one request met a dead connection.
  expect(refused.length).toBeGreaterThan(0);
  for (const answer of refused) {
    // 404 is a read of a state the projector (not running here) never folded.
    if (answer.status === 404) continue;
    expect({ status: answer.status, reason: answer.body.reason, retryAfter: answer.retryAfter }).toEqual({ status: 503, reason: 'database_unavailable', retryAfter: '2' });
  }
  expect(consentApi.output).not.toMatch(/unhandled/i);

  // Back to normal: each refused write, retried with its key, is accepted, and well before the
  // 30 s lease of a claim whose release the database refused ran out.
  const retried = Date.now();
  for (const idempotencyKey of refusedWrites) {
    await waitFor(async () => (await withdraw(subject, idempotencyKey)).status === 202, { description: `a retry of ${idempotencyKey} to be accepted`, timeoutMs: 20_000, intervalMs: 500 });
  }
  expect(Date.now() - retried).toBeLessThan(20_000);
  expect((await withdraw(subject, uniqueName('after'))).status).toBe(202);
});
