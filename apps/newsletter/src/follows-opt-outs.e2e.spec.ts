import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { AppProcess, freePort, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';

// The newsletter demo as users run it: consent-api, the projector and the newsletter as real
// processes on the test stack, with topics under a fresh LETHE_TOPIC_PREFIX and tables in a fresh
// schema. A withdrawal made through the API stops the newsletter's queued work for that subject.

jest.setTimeout(240_000);

const schema = `newsletter_${randomBytes(6).toString('hex')}`;
const prefix = `${uniqueName('test')}.`;
const apps: AppProcess[] = [];
let env: Record<string, string | undefined>;
let api: string;
let newsletter: AppProcess;
let newsletterUrl: string;
let key: string;

async function call(url: string, method = 'GET', body?: object): Promise<{ status: number; json: () => unknown; text: string }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

/** The value of a metric line of the newsletter's /metrics, 0 when absent. */
async function metric(line: RegExp): Promise<number> {
  const text = (await call(`${newsletterUrl}/metrics`)).text;
  const found = text.split('\n').find((candidate) => line.test(candidate));
  return found ? Number(found.split(' ').pop()) : 0;
}

const logged = (pattern: RegExp, description: string) => waitFor(() => pattern.test(newsletter.output), { description: `the newsletter to log ${description}`, timeoutMs: 60_000 });

beforeAll(async () => {
  const [apiPort, newsletterPort] = [await freePort(), await freePort()];
  env = {
    ...process.env,
    LETHE_DB_SCHEMA: schema,
    LETHE_TOPIC_PREFIX: prefix,
    LETHE_MASTER_KEY: randomBytes(32).toString('base64'),
    LETHE_SIGNING_KEY: randomBytes(32).toString('base64'),
    LETHE_API_PORT: String(apiPort),
    NEWSLETTER_PORT: String(newsletterPort),
  };
  api = `http://127.0.0.1:${apiPort}`;
  newsletterUrl = `http://127.0.0.1:${newsletterPort}`;
  const keys = new AppProcess('apps/consent-api/src/api-keys.cli.ts', env, ['create', 'newsletter-e2e']);
  expect(await keys.exited()).toBe(0);
  key = (keys.output.match(/lethe_[0-9a-f]+_[A-Za-z0-9_-]+/) ?? [''])[0];
  expect(key).not.toBe('');
  const consentApi = new AppProcess('apps/consent-api/src/main.ts', env);
  apps.push(consentApi);
  await consentApi.answers(`${api}/health`, 'consent-api');
  apps.push(new AppProcess('apps/projector/src/main.ts', env));
  // The test run logs at warn; the newsletter's sends and skips are at log level.
  newsletter = new AppProcess('apps/newsletter/src/main.ts', { ...env, LETHE_LOG_LEVEL: 'log' });
  apps.push(newsletter);
  await newsletter.answers(`${newsletterUrl}/health`, 'the newsletter');
}, 200_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  const pool = new Pool({ connectionString: testEndpoints().databaseUrl, max: 1 });
  await pool.query(`drop schema if exists "${schema}" cascade`).finally(() => pool.end());
  const admin = testKafka('newsletter-e2e').admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
  await admin.deleteTopics({ topics }).finally(() => admin.disconnect());
});

it('sends to subjects who granted marketing, and skips one who withdrew it through the API', async () => {
  const [stays, leaves] = [uniqueName('subj'), uniqueName('subj')];
  for (const subject of [stays, leaves]) {
    const grant = await call(`${api}/v1/subjects/${subject}/consents/grant`, 'POST', { purposes: ['marketing'], policyVersion: '2026-01' });
    expect(grant.status).toBe(202);
  }
  // The guard has both subjects' granted states in memory before any job is queued.
  await waitFor(async () => (await metric(/^lethe_guard_subjects\{service="newsletter"\}/)) >= 2, { description: 'the guard to hold both subjects', timeoutMs: 60_000 });

  expect((await call(`${newsletterUrl}/v1/newsletter/issues`, 'POST', { subjects: [stays, leaves], issue: 1 })).status).toBe(202);
  await logged(new RegExp(`sent issue 1 to ${stays}\\b`), `issue 1 sent to ${stays}`);
  await logged(new RegExp(`sent issue 1 to ${leaves}\\b`), `issue 1 sent to ${leaves}`);
  expect(await metric(/^newsletter_sent_total /)).toBe(2);

  const withdraw = await call(`${api}/v1/subjects/${leaves}/consents/withdraw`, 'POST', { purposes: ['marketing'], jurisdiction: 'GDPR' });
  expect(withdraw.status).toBe(202);
  await logged(new RegExp(`restricted ${leaves} \\(WITHDRAWN marketing, log p\\d+@\\d+\\): dropping queued work`), `the restriction of ${leaves}`);
  const skippedBefore = await metric(/^lethe_guard_skipped_messages_total\{.*purpose="marketing".*\}/);

  expect((await call(`${newsletterUrl}/v1/newsletter/issues`, 'POST', { subjects: [leaves, stays], issue: 2 })).status).toBe(202);
  await logged(new RegExp(`sent issue 2 to ${stays}\\b`), `issue 2 sent to ${stays}`);
  await logged(new RegExp(`skipped issue 2 for ${leaves}: marketing withdrawn \\(state v\\d+\\)`), `issue 2 skipped for ${leaves}`);
  expect(newsletter.output).not.toMatch(new RegExp(`sent issue 2 to ${leaves}\\b`));
  expect(await metric(/^lethe_guard_skipped_messages_total\{.*purpose="marketing".*\}/)).toBe(skippedBefore + 1);
  expect(await metric(/^newsletter_sent_total /)).toBe(3);
});

it('refuses a bad request naming the field, never quoting what was sent', async () => {
  const response = await call(`${newsletterUrl}/v1/newsletter/issues`, 'POST', { subjects: ['ada@example.com'], issue: 3 });
  expect(response.status).toBe(400);
  expect(response.json()).toMatchObject({ statusCode: 400, field: 'subjects[0]' });
  expect(response.text).not.toContain('ada');
  expect(newsletter.output).not.toContain('ada@example.com');
});
