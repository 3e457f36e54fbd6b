import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { ConsentEvent } from '@lethe/contracts';
import { AppProcess, consentEvent, createShopSchema, freePort, freshDatabase, freshTopicSet, rowsById, seedCustomer, shopConfig, ShopCustomer, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { FreshLog } from './testing/fresh-log';
import { runLethe } from './testing/lethe-process';

// Backfills on the real stack, with a projector and erasure workers running as processes:
// - a shop database restored from a backup taken at T holds people erased or opted out since T;
//   `lethe reapply` counts them per cause (dry run, no identifiers), then has the shop's worker
//   erase them again with new acknowledgements, leaving out a withdrawal the subject reversed;
// - `lethe systems status` shows each system's real lag, text and JSON, and the worker's gauges;
// - `lethe reprocess` refuses while a system's worker runs, and once it is stopped re-drives it
//   from an instant, so a withdrawal it ignored then (its systems file mapped no opt-outs) is acted on.

jest.setTimeout(300_000);

const kafka = testKafka('lethe-backfill-e2e');
const endpoints = testEndpoints();
const SHOP = 'shop-db';
const CRM = 'crm-db';
/** Keyed by e-mail: a request without one fails there for good, and its step is parked. */
const CACHE = 'recent-cache';
const TABLES = ['customers', 'addresses', 'reviews', 'orders', 'payments', 'invoices'];
let log: FreshLog;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let pool: Pool;
let shopSchema: string;
let crmSchema: string;
let systemsFile: string;
let env: Record<string, string>;
let metricsPort: number;
const apps: AppProcess[] = [];
let shopWorker: AppProcess;

function declare(crmReactsToOptOuts: boolean): void {
  const { system: _shop, ...shop } = shopConfig(endpoints.databaseUrl, shopSchema);
  const { system: _crm, ...crm } = shopConfig(endpoints.databaseUrl, crmSchema);
  const systems = [
    { name: SHOP, type: 'sql', ...shop, onOptOut: { marketing: 'delete' } },
    { name: CRM, type: 'sql', ...crm, ...(crmReactsToOptOuts ? { onOptOut: { marketing: 'delete' } } : {}) },
    { name: CACHE, type: 'cache', url: endpoints.redisUrl, keys: ['recent:{identity:email}'] },
  ];
  writeFileSync(systemsFile, JSON.stringify({ retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 1_000 }, systems }));
}

const start = (entry: string, extra: Record<string, string> = {}) => {
  const app = new AppProcess(entry, { ...process.env, ...env, ...extra });
  apps.push(app);
  return app;
};
const worker = (system: string, extra: Record<string, string> = {}) => start('apps/erasure-worker/src/main.ts', { LETHE_WORKER_SYSTEMS: system, LETHE_WORKER_RETRY_POLL_MS: '100', ...extra });

beforeAll(async () => {
  log = await FreshLog.open({ freshTopicSet, testEndpoints }, kafka);
  database = await freshDatabase();
  pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  shopSchema = await createShopSchema(pool);
  crmSchema = await createShopSchema(pool);
  systemsFile = join(mkdtempSync(join(tmpdir(), 'lethe-backfill-')), 'systems.json');
  declare(false);
  metricsPort = await freePort();
  env = {
    LETHE_TOPIC_PREFIX: log.prefix,
    LETHE_DB_SCHEMA: database.schema,
    LETHE_SYSTEMS_FILE: systemsFile,
    LETHE_PROJECTOR_GROUP: uniqueName('test.backfill-projector'),
    LETHE_MASTER_KEY: randomBytes(32).toString('base64'),
    LETHE_SIGNING_KEY: randomBytes(32).toString('base64'),
  };
  start('apps/projector/src/main.ts');
  shopWorker = worker(SHOP, { LETHE_METRICS_PORT: String(metricsPort) });
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.stop()));
  await pool?.query(`drop schema if exists "${shopSchema}" cascade; drop schema if exists "${crmSchema}" cascade`);
  await pool?.end();
  await database?.drop();
  await log?.close();
});

const erasure = (customer: ShopCustomer, occurredAt = Date.now()) =>
  consentEvent({ subject_id: customer.externalId, occurred_at: occurredAt, recorded_at: occurredAt, purposes: [], payload: { type: 'ErasureRequested', request_id: `dsr-${customer.id}`, scope: 'ALL', keep_transaction_history: false, systems: [SHOP], all_systems: false } });
const consent = (customer: ShopCustomer, type: 'ConsentGranted' | 'ConsentWithdrawn', policy = '2026-01') => consentEvent({ subject_id: customer.externalId, purposes: ['marketing'], policy_version: type === 'ConsentGranted' ? policy : null, payload: { type } });

const customerRows = (schema: string, customer: ShopCustomer) => rowsById(pool, schema, 'customers', [customer.id]);
const stepStatus = async (customer: ShopCustomer) => (await database.db.query(`select status from erasure_steps where subject_id = $1 and system = $2`, [customer.externalId, SHOP]))[0]?.status;
const purposeOf = async (customer: ShopCustomer) => (await database.db.query(`select state from subject_state where subject_id = $1`, [customer.externalId]))[0]?.state.purposes.marketing;
async function facts(customer: ShopCustomer): Promise<{ type: string; detail: string | null; eventId: string; occurredAt: string }[]> {
  const run = await runLethe(env, 'history', '--subject', customer.externalId, '--json');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout).facts;
}
const acksOf = async (customer: ShopCustomer, type: string, system = SHOP) => (await facts(customer)).filter((f) => f.type === type && f.detail?.includes(`system=${system}`));
const status = async (system: string) => {
  const run = await runLethe(env, 'systems', 'status', '--system', system, '--json');
  expect([run.code, run.stderr]).toEqual([0, '']);
  return JSON.parse(run.stdout).systems[0];
};

it('reapplies the erasures and standing opt-outs since a backup to the restored system, with new acknowledgements, and not a reversed withdrawal', async () => {
  const [early, erased, withdrawn, regranted] = await Promise.all(['Earl Early', 'Erin Erased', 'Walt Withdrawn', 'Rita Regranted'].map((name) => seedCustomer(pool, shopSchema, name)));
  await log.append([erasure(early), consent(withdrawn, 'ConsentGranted'), consent(regranted, 'ConsentGranted')]);
  await waitFor(async () => (await stepStatus(early)) === 'completed', { description: 'the erasure before the backup', timeoutMs: 60_000 });
  await waitFor(async () => (await purposeOf(regranted))?.status === 'granted', { description: 'the grants to be folded', timeoutMs: 30_000 });

  // The backup, taken at T: every shop table as it is now (Earl erased already).
  const T = Date.now();
  for (const table of TABLES) await pool.query(`create table "${shopSchema}"."backup_${table}" as select * from "${shopSchema}"."${table}"`);

  // After T: an erasure, a withdrawal that stands, and one the subject reverses by granting again.
  await log.append([erasure(erased), consent(withdrawn, 'ConsentWithdrawn'), consent(regranted, 'ConsentWithdrawn')]);
  await waitFor(async () => (await stepStatus(erased)) === 'completed', { description: 'the erasure after the backup', timeoutMs: 60_000 });
  await waitFor(async () => (await customerRows(shopSchema, withdrawn)).length === 0 && (await customerRows(shopSchema, regranted)).length === 0, { description: 'the withdrawals to be acted on', timeoutMs: 60_000 });
  await waitFor(async () => (await acksOf(regranted, 'OptOutStepCompleted')).length === 1 && (await acksOf(withdrawn, 'OptOutStepCompleted')).length === 1, { description: 'the opt-out acknowledgements', timeoutMs: 60_000 });
  await log.append([consent(regranted, 'ConsentGranted', '2026-02')]);
  await waitFor(async () => (await purposeOf(regranted))?.policyVersion === '2026-02', { description: 'the re-grant to be folded', timeoutMs: 30_000 });
  const [firstAck] = await acksOf(erased, 'ErasureStepCompleted');

  // The restore: the shop's tables as they were at T; the erasure ledger is not part of the backup and still says "done".
  await pool.query(`truncate ${TABLES.map((t) => `"${shopSchema}"."${t}"`).join(', ')} cascade`);
  for (const table of TABLES) await pool.query(`insert into "${shopSchema}"."${table}" select * from "${shopSchema}"."backup_${table}"`);
  for (const customer of [erased, withdrawn, regranted]) expect(await customerRows(shopSchema, customer)).toHaveLength(1);
  expect(await customerRows(shopSchema, early)).toEqual([]);

  const since = new Date(T).toISOString();
  const before = await log.ends(log.topics.consentLog);
  const dry = await runLethe(env, 'reapply', '--system', SHOP, '--since', since, '--dry-run', '--json');
  expect(dry.code).toBe(0);
  expect(JSON.parse(dry.stdout)).toEqual({
    system: SHOP,
    since,
    dryRun: true,
    causes: { erasure: { subjects: 1, steps: 1 }, withdrawal: { subjects: 1, steps: 1 } },
    superseded: { withdrawal: { subjects: 1, steps: 1 } },
    reapplyId: null,
    requested: 0,
  });
  const text = await runLethe(env, 'reapply', '--system', SHOP, '--since', since, '--dry-run');
  expect(text.code).toBe(0);
  expect(text.stdout).toBe(
    [
      `reapply ${SHOP} since ${since} (dry run): 2 step(s) would be carried out again`,
      '  erasure: 1 subject(s), 1 step(s)',
      '  withdrawal: 1 subject(s), 1 step(s)',
      '  not reapplied, no longer in force: withdrawal: 1 subject(s), 1 step(s)',
      '',
    ].join('\n'),
  );
  expect(text.stderr).toMatch(/^reapply: events read: [\d,]+ of [\d,]+ \(100\.0%\), [\d,]+\/s, done$/m);
  for (const customer of [early, erased, withdrawn, regranted]) {
    for (const output of [dry.stdout, text.stdout, text.stderr]) expect(output).not.toContain(customer.externalId);
    expect(text.stdout).not.toContain(customer.email);
  }
  expect(await log.ends(log.topics.consentLog)).toEqual(before); // a dry run appends nothing

  // Requests the worker must not act on: a cause of another subject (Rita's rows must stay), and one it cannot read.
  const reapplyOf = (customer: ShopCustomer, cause: Buffer) => consentEvent({ subject_id: customer.externalId, payload: { type: 'StepReapplyRequested', reapply_id: 'reapply-forged', system: SHOP, cause } });
  await log.append([reapplyOf(withdrawn, await log.codec.encode(erasure(regranted))), reapplyOf(withdrawn, Buffer.from('not avro'))]);

  // --wait follows the log until the worker acknowledged every step, with progress on stderr.
  const run = await runLethe(env, 'reapply', '--system', SHOP, '--since', since, '--wait', '--timeout', '120');
  expect(run.code).toBe(0);
  expect(run.stderr).toMatch(/^reapply: requests appended: 2 of 2 \(100\.0%\), [\d,]+\/s, done$/m);
  expect(run.stderr).toMatch(/^reapply: steps acknowledged: 2 of 2 \(100\.0%\), [\d,]+\/s, done$/m);
  const reapplyId = run.stdout.match(/ requested under (reapply-[0-9a-f-]+);/)?.[1];
  expect(run.stdout.split('\n')).toEqual([
    `reapply ${SHOP} since ${since}: 2 step(s) requested under ${reapplyId}; the system's worker carries them out and acknowledges each on consent.log`,
    '  erasure: 1 subject(s), 1 step(s)',
    '  withdrawal: 1 subject(s), 1 step(s)',
    '  not reapplied, no longer in force: withdrawal: 1 subject(s), 1 step(s)',
    '  acknowledged 2, failed for good 0, not acknowledged in time 0',
    '',
  ]);
  const summary = { reapplyId };

  // The worker, not the CLI, erases again: under a new work id, so the ledger's "done" does not stop it.
  await waitFor(async () => (await customerRows(shopSchema, erased)).length === 0 && (await customerRows(shopSchema, withdrawn)).length === 0, { description: 'the restored rows to be erased again', timeoutMs: 60_000 });
  await waitFor(async () => (await acksOf(erased, 'ErasureStepCompleted')).length === 2, { description: 'a new acknowledgement of the erasure', timeoutMs: 60_000 });
  const acks = await acksOf(erased, 'ErasureStepCompleted');
  expect(acks[0].eventId).toBe(firstAck.eventId);
  expect(acks[1].eventId).not.toBe(firstAck.eventId);
  expect(Date.parse(acks[1].occurredAt)).toBeGreaterThan(T);
  expect((await facts(erased)).filter((f) => f.type === 'StepReapplyRequested')).toEqual([expect.objectContaining({ detail: `system=${SHOP} reapply=${summary.reapplyId}` })]);
  await waitFor(async () => (await acksOf(withdrawn, 'OptOutStepCompleted')).length === 2, { description: 'a new acknowledgement of the withdrawal', timeoutMs: 60_000 });
  // The reversed withdrawal is not reapplied: the subject's rows stay, with no new acknowledgement.
  expect(await customerRows(shopSchema, regranted)).toHaveLength(1);
  expect(await acksOf(regranted, 'OptOutStepCompleted')).toHaveLength(1);
  expect((await facts(regranted)).some((f) => f.type === 'StepReapplyRequested')).toBe(false);
  // The request stays completed; the new acknowledgement is indexed as evidence beside the first.
  const [request] = await database.db.query(`select status from erasure_requests where subject_id = $1`, [erased.externalId]);
  expect(request.status).toBe('completed');
  await waitFor(async () => (await database.db.query(`select event_id from erasure_events where subject_id = $1 and type = 'ErasureStepCompleted'`, [erased.externalId])).length === 2, { description: 'both acknowledgements in erasure_events', timeoutMs: 30_000 });

  // A second run (no restore since) asks again, in JSON: every step is carried out and acknowledged once more.
  const again = await runLethe(env, 'reapply', '--system', SHOP, '--since', since, '--wait', '--json');
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ dryRun: false, requested: 2, reapplyId: expect.not.stringMatching(reapplyId ?? ''), outcomes: { acknowledged: 2, failed: 0, waiting: 0 } });
  expect(again.stderr).toBe('');
  expect(await acksOf(erased, 'ErasureStepCompleted')).toHaveLength(3);

  // Refusals name the argument, never its value.
  expect(await runLethe(env, 'reapply', '--system', 'no-such-system', '--since', since)).toEqual({ code: 3, stdout: '', stderr: 'lethe reapply: --system names no system of LETHE_SYSTEMS_FILE\n' });
  const bad = await runLethe(env, 'reapply', '--system', SHOP, '--since', 'yesterday');
  expect([bad.code, bad.stderr.split('\n')[0]]).toEqual([2, 'lethe reapply: --since must be an ISO 8601 time, such as 2026-03-01T00:00:00Z']);
});

it('shows each system\'s real lag, how much of the log it read and its steps, in text, JSON and gauges', async () => {
  const crm = await status(CRM); // declared, but no worker has run it yet
  const records = [...(await log.ends(log.topics.consentLog)).values()].reduce((sum, end) => sum + Number(end), 0);
  expect(crm).toEqual({ system: CRM, type: 'sql', group: `${log.prefix}lethe.erasure.${CRM}`, members: 0, lag: records, records, caughtUp: 0, open: 0, retrying: 0, parked: 0, oldestOpenSeconds: null });
  const shop = await waitFor(async () => ((await status(SHOP)).lag === 0 ? status(SHOP) : undefined), { description: 'the shop worker to catch up', timeoutMs: 60_000 });
  expect(shop).toMatchObject({ system: SHOP, members: 1, lag: 0, caughtUp: 1, open: 0, parked: 0 });

  const text = await runLethe(env, 'systems', 'status');
  expect(text.code).toBe(0);
  const lines = text.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^system\s+type\s+workers\s+lag\s+caught up\s+open\s+retrying\s+parked\s+oldest open$/);
  expect(lines[1]).toMatch(new RegExp(`^${SHOP}\\s+sql\\s+1\\s+0\\s+100\\.0%\\s+0\\s+0\\s+0\\s+-$`));
  expect(lines[2]).toMatch(new RegExp(`^${CRM}\\s+sql\\s+0\\s+${records}\\s+0\\.0%\\s+0\\s+0\\s+0\\s+-$`));
  expect(lines).toHaveLength(4);

  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(metrics).toMatch(new RegExp(`^lethe_system_consumer_lag\\{system="${SHOP}"\\} 0$`, 'm'));
  expect(metrics).toMatch(new RegExp(`^lethe_system_caught_up_ratio\\{system="${SHOP}"\\} 1$`, 'm'));
  for (const gauge of ['open_steps', 'retrying_steps', 'parked_steps', 'oldest_open_step_age_seconds']) expect(metrics).toMatch(new RegExp(`^lethe_system_${gauge}\\{system="${SHOP}"\\} 0$`, 'm'));

  // A step that fails for good: open in the projection, parked for a retry, its request an hour old.
  const cachePort = await freePort();
  const cacheWorker = worker(CACHE, { LETHE_METRICS_PORT: String(cachePort) });
  const hourAgo = Date.now() - 3_600_000;
  await log.append([consentEvent({ occurred_at: hourAgo, recorded_at: hourAgo, purposes: [], payload: { type: 'ErasureRequested', request_id: 'dsr-no-email', scope: 'ALL', keep_transaction_history: false, systems: [CACHE], all_systems: false } })]);
  const cache = await waitFor(async () => {
    const row = await status(CACHE);
    return row.parked === 1 && row.open === 1 && row.lag === 0 && row;
  }, { description: 'the cache step to be parked', timeoutMs: 90_000 });
  expect(cache).toMatchObject({ members: 1, caughtUp: 1, retrying: 0 });
  expect(cache.oldestOpenSeconds).toBeGreaterThanOrEqual(3_600);
  expect(cache.oldestOpenSeconds).toBeLessThan(3_900);
  const cacheMetrics = await (await fetch(`http://127.0.0.1:${cachePort}/metrics`)).text();
  expect(cacheMetrics).toMatch(new RegExp(`^lethe_system_parked_steps\\{system="${CACHE}"\\} 1$`, 'm'));
  expect(cacheMetrics).toMatch(new RegExp(`^lethe_system_open_steps\\{system="${CACHE}"\\} 1$`, 'm'));
  expect(Number(cacheMetrics.match(new RegExp(`^lethe_system_oldest_open_step_age_seconds\\{system="${CACHE}"\\} ([\\d.]+)$`, 'm'))?.[1])).toBeGreaterThanOrEqual(3_600);
  expect(cacheMetrics).not.toContain(`system="${SHOP}"`); // each worker reports the systems it runs
  expect((await runLethe(env, 'systems', 'status')).stdout.split('\n')[3]).toMatch(new RegExp(`^${CACHE}\\s+cache\\s+1\\s+0\\s+100\\.0%\\s+1\\s+0\\s+1\\s+6\\d min$`));
  await cacheWorker.stop();

  expect((await runLethe(env, 'systems', 'status', '--system', 'nope')).code).toBe(3);
  expect((await runLethe(env, 'systems', 'list')).stderr).toMatch(/^lethe systems: the only action is status$/m);
});

it('refuses to reprocess while the system runs, and once stopped re-drives it from an instant, acting on what it ignored', async () => {
  const olga = await seedCustomer(pool, crmSchema, 'Olga Optout');
  let crmWorker = worker(CRM); // its systems file maps no opt-outs: it ignores withdrawals
  await log.append([consent(olga, 'ConsentGranted')]);
  const from = Date.now();
  const [withdrawal] = await log.append([consent(olga, 'ConsentWithdrawn')]);
  await waitFor(async () => (await status(CRM)).lag === 0 && (await status(CRM)).members === 1, { description: 'the crm worker to catch up', timeoutMs: 90_000 });
  expect(await customerRows(crmSchema, olga)).toHaveLength(1); // ignored

  const refused = await runLethe(env, 'reprocess', '--system', CRM, '--from', new Date(from).toISOString());
  expect(refused).toEqual({ code: 3, stdout: '', stderr: `lethe reprocess: consumer group ${log.prefix}lethe.erasure.${CRM} has 1 live member(s): stop the worker that runs ${CRM} (LETHE_WORKER_SYSTEMS) before moving its position\n` });
  expect((await status(CRM)).lag).toBe(0); // nothing moved

  await crmWorker.stop();
  await waitFor(async () => (await status(CRM)).members === 0, { description: 'the group to be empty', timeoutMs: 60_000 });
  // Real lag: records appended while no worker runs.
  const others: ConsentEvent[] = Array.from({ length: 3 }, () => consentEvent({ payload: { type: 'ConsentGranted' }, policy_version: '2026-01' }));
  await log.append(others);
  expect(await status(CRM)).toMatchObject({ members: 0, lag: 3 });

  const dry = await runLethe(env, 'reprocess', '--system', CRM, '--from', new Date(from).toISOString(), '--dry-run', '--json');
  expect(dry.code).toBe(0);
  const moves: { partition: number; from: string; to: string }[] = JSON.parse(dry.stdout).partitions;
  const olgas = moves.find((m) => m.partition === withdrawal.partition);
  expect(BigInt(olgas?.to ?? -1)).toBe(BigInt(withdrawal.baseOffset ?? -1)); // the first record at or after the instant
  expect((await status(CRM)).lag).toBe(3);

  const moved = await runLethe(env, 'reprocess', '--system', CRM, '--from', new Date(from).toISOString());
  expect(moved.code).toBe(0);
  expect(moved.stdout).toMatch(new RegExp(`^moved ${log.prefix.replace(/\./g, '\\.')}lethe\\.erasure\\.${CRM} on .*: \\d+ record\\(s\\) to read again$`, 'm'));
  expect((await status(CRM)).lag).toBeGreaterThan(3);

  // The fix: the crm now maps marketing withdrawals; re-driven from the instant, it acts on Olga's.
  declare(true);
  crmWorker = worker(CRM);
  await waitFor(async () => (await customerRows(crmSchema, olga)).length === 0, { description: 'the ignored withdrawal to be acted on', timeoutMs: 90_000 });
  await waitFor(async () => (await acksOf(olga, 'OptOutStepCompleted', CRM)).length === 1, { description: 'its acknowledgement', timeoutMs: 60_000 });
  await waitFor(async () => (await status(CRM)).lag === 0, { description: 'the crm worker to catch up again', timeoutMs: 60_000 });

  const usage = await runLethe(env, 'reprocess', '--system', CRM, '--from', 'last-week');
  expect([usage.code, usage.stderr.split('\n')[0]]).toEqual([2, 'lethe reprocess: --from must be an offset, partition:offset pairs (0:120,3:88) or an ISO 8601 time']);
  await crmWorker.stop();
  await shopWorker.stop();
});
