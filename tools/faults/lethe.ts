import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { consumerGroupsFor } from '@lethe/contracts';
import { openDatabase } from '@lethe/persistence';
import { AppProcess, createShopSchema, freePort, shopConfig, waitFor } from '@lethe/testing';
import { ACTIONS, ApiKeyStore } from '../../apps/consent-api/src/auth/api-keys';
import { Cluster } from './cluster';
import { faultsStack } from './env';
import type { SystemData } from './system-data';

export type AppName = 'consent-api' | 'projector' | 'erasure-worker' | 'checkpointer';

const ENTRIES: Record<AppName, string> = {
  'consent-api': 'apps/consent-api/src/main.ts',
  projector: 'apps/projector/src/main.ts',
  'erasure-worker': 'apps/erasure-worker/src/main.ts',
  checkpointer: 'apps/checkpointer/src/main.ts',
};

/** The downstream systems every scenario erases from: the shop database (sql) and the session cache (Redis). */
export const SYSTEMS = ['shop-db', 'sessions'] as const;

/** The third-party processor a scenario may add, as the http system `marketing`. */
export const THIRD_PARTY = 'marketing';

export interface LetheOptions {
  /** Settings for the apps (LETHE_* variables). */
  settings?: Record<string, string>;
  /** A third-party processor (OpenDSR, signed callbacks) to erase from too. */
  thirdParty?: { url: string; secret: string };
  /** The systems file's retry policy; default 6 attempts, 200 ms to 2 s apart. */
  retry?: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number };
}

/**
 * One Lethe of a scenario's own on the fault suite's cluster: a fresh topic prefix and database
 * schema, fresh keys, its systems file, an API key with every scope, and consent-api, the
 * projector, the erasure worker and the checkpointer as processes, started as users start them.
 */
export class Lethe {
  readonly apps = new Map<AppName, AppProcess>();

  private constructor(
    /** The systems its workers erase from. */
    readonly systems: string[],
    readonly env: Record<string, string>,
    readonly apiUrl: string,
    readonly apiKey: string,
    readonly prefix: string,
    readonly schema: string,
    readonly shopSchema: string,
    private readonly dir: string,
    readonly pool: Pool,
  ) {}

  static async start({ settings = {}, thirdParty, retry = { maxAttempts: 6, initialDelayMs: 200, maxDelayMs: 2_000 } }: LetheOptions = {}): Promise<Lethe> {
    const stack = faultsStack();
    const id = randomBytes(4).toString('hex');
    const prefix = `faults.${id}.`;
    const schema = `faults_${id}`;
    const pool = new Pool({ connectionString: stack.endpoints.DATABASE_URL, max: 4 });
    const shopSchema = await createShopSchema(pool);
    const dir = mkdtempSync(join(tmpdir(), 'lethe-faults-'));
    const systemsFile = join(dir, 'systems.json');
    // Every connection of this Lethe says whose it is (its apps by PGAPPNAME, the shop's connector
    // in its URL), so a scenario can cut exactly these: `terminateConnections`.
    const applicationName = `lethe-faults-${id}`;
    const shopUrl = new URL(stack.endpoints.DATABASE_URL);
    shopUrl.searchParams.set('application_name', `${applicationName}-shop`);
    const { system: _system, ...shop } = shopConfig(shopUrl.toString(), shopSchema);
    const port = await freePort();
    const systems: object[] = [
      { name: SYSTEMS[0], type: 'sql', ...shop },
      { name: SYSTEMS[1], type: 'cache', url: stack.endpoints.REDIS_URL, keys: ['session:{subjectId}'], onOptOut: { marketing: 'suppress' } },
    ];
    if (thirdParty) {
      systems.push({ name: THIRD_PARTY, type: 'http', url: thirdParty.url, secret: thirdParty.secret, callbackUrl: `http://127.0.0.1:${port}/v1/processors/${THIRD_PARTY}/callbacks` });
    }
    writeFileSync(systemsFile, JSON.stringify({ retry, systems }));
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...stack.endpoints,
      LETHE_TOPIC_PREFIX: prefix,
      LETHE_DB_SCHEMA: schema,
      LETHE_SYSTEMS_FILE: systemsFile,
      LETHE_MASTER_KEY: randomBytes(32).toString('base64'),
      LETHE_SIGNING_KEY: randomBytes(32).toString('base64'),
      LETHE_CHECKPOINT_KEY: randomBytes(32).toString('base64'),
      LETHE_CHECKPOINT_INTERVAL_MS: '500',
      LETHE_API_PORT: String(port),
      LETHE_API_RATE_LIMIT: '10000000',
      LETHE_BROKER_TIMEOUT_MS: '5000',
      LETHE_PROJECTOR_SESSION_TIMEOUT_MS: '10000',
      LETHE_WORKER_RETRY_POLL_MS: '500',
      PGAPPNAME: applicationName,
      LETHE_LOG_LEVEL: process.env.LETHE_FAULTS_LOG_LEVEL ?? 'warn',
      NO_COLOR: '1',
      ...settings,
    };
    const db = await openDatabase({ url: stack.endpoints.DATABASE_URL, schema });
    const { key } = await new ApiKeyStore(db).create('faults', { actions: [...ACTIONS], purposes: ['*'] });
    await db.destroy();
    const lethe = new Lethe([...SYSTEMS, ...(thirdParty ? [THIRD_PARTY] : [])], env, `http://127.0.0.1:${port}`, key, prefix, schema, shopSchema, dir, pool);
    for (const app of Object.keys(ENTRIES) as AppName[]) lethe.startApp(app);
    await lethe.ready();
    return lethe;
  }

  /** Where its systems keep the subjects' data. */
  get data(): SystemData {
    return { shopSchema: this.shopSchema, redisUrl: faultsStack().endpoints.REDIS_URL };
  }

  /**
   * Terminates every PostgreSQL connection of this Lethe's apps and of its shop connector (as a
   * database restart would, on a server other runs share); returns how many there were.
   */
  async terminateConnections(): Promise<number> {
    const { rows } = await this.pool.query<{ terminated: number }>(
      `select count(*) filter (where pg_terminate_backend(pid))::int as terminated from pg_stat_activity where application_name like $1 and pid <> pg_backend_pid()`,
      [`${this.env.PGAPPNAME}%`],
    );
    return rows[0].terminated;
  }

  /** Starts one app (again, after `kill`). */
  startApp(app: AppName): void {
    this.apps.set(app, new AppProcess(ENTRIES[app], this.env));
  }

  /** SIGKILL one app, and waits for its exit. */
  async kill(app: AppName): Promise<void> {
    const child = this.apps.get(app)?.child;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await this.apps.get(app)?.exited();
  }

  /** Until the API answers /health and the projector and every system's worker hold their partitions. */
  async ready(timeoutMs = 180_000): Promise<void> {
    const exited = () => [...this.apps].find(([, app]) => app.child.exitCode !== null);
    const kafka = new Cluster().kafka('lethe-faults-ready');
    const groups = consumerGroupsFor(this.prefix);
    await waitFor(
      async () => {
        const dead = exited();
        if (dead) throw new Error(`${dead[0]} exited with ${dead[1].child.exitCode}:\n${dead[1].output.slice(-2_000)}`);
        if (!(await fetch(`${this.apiUrl}/health`).then((r) => r.ok, () => false))) return false;
        const admin = kafka.admin();
        await admin.connect();
        try {
          const { groups: described } = await admin.describeGroups([groups.projector, ...this.systems.map(groups.erasureWorker)]);
          return described.every((group) => group.state === 'Stable' && group.members.length > 0);
        } finally {
          await admin.disconnect();
        }
      },
      { description: 'Lethe to serve (API health, projector and workers in their groups)', timeoutMs, intervalMs: 500 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${[...this.apps].map(([name, app]) => `--- ${name}:\n${app.output.slice(-1_500)}`).join('\n')}`);
    });
  }

  /** Everything the apps printed, for a failing scenario's message. */
  output(): string {
    return [...this.apps].map(([name, app]) => `--- ${name}:\n${app.output.slice(-3_000)}`).join('\n');
  }

  /** Stops the apps; drops its schemas unless `keep` (a failed scenario's, for inspection). */
  async stop({ keep = false } = {}): Promise<void> {
    // SIGTERM, then SIGKILL past a deadline: an app stuck on a broken cluster must not hold the suite.
    await Promise.all(
      [...this.apps.values()].map(async (app) => {
        const timer = setTimeout(() => app.child.kill('SIGKILL'), 20_000);
        await app.stop();
        clearTimeout(timer);
      }),
    );
    if (keep) console.log(`[faults] kept for inspection: schemas ${this.schema} and ${this.shopSchema}, topics ${this.prefix}*, its systems file in ${this.dir}`);
    else await this.pool.query(`drop schema if exists "${this.schema}" cascade; drop schema if exists "${this.shopSchema}" cascade`);
    await this.pool.end();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }
}
