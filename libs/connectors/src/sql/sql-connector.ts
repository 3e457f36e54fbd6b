import { Pool, PoolClient } from 'pg';
import { GuardedPgClient } from '@lethe/persistence';
import { ConnectorError, noIdentityForMatch, type Connector, type ErasureOutcome, type ErasureTarget } from '../connector';
import { ErasureLedger, RecordedOutcome } from './erasure-ledger';
import { Batches } from './batches';
import { Slots } from './slots';
import { modeOf, overallAction, planErasure, PlannedStep, shareNoValue, strategiesOf, subjectValues, tablesWithoutAnonymization } from './erasure-plan';
import { CheckedSchema, checkSchema } from './schema-check';
import { DEFAULT_STEPS_PER_TRANSACTION, type SqlConnectorConfig } from './sql-config';
import { toConnectorError } from './sql-errors';
import { OwnedValue, stepStatement } from './sql-statements';
import { validateSqlConfig } from './validate-sql-config';

type Settled = PromiseSettledResult<ErasureOutcome>;

/** What a target's steps did, as recorded in the ledger and reported. */
function outcomeOf(steps: readonly PlannedStep[], counts: Record<string, number>): RecordedOutcome {
  const held = steps.flatMap((step) =>
    step.kind === 'anonymize' && step.legalHoldBasis && counts[step.table] > 0 ? [`${step.table}: ${step.legalHoldBasis}`] : [],
  );
  return { action: overallAction(steps), counts, strategies: strategiesOf(steps), legalHold: held.length > 0 ? held.join('; ') : null };
}

/**
 * A PostgreSQL system, erased as its configuration says (see sql-config.ts). One request's work,
 * and the ledger row that makes it idempotent, commit in one transaction. Steps that arrive while
 * every connection is busy share a transaction (docs/adr/0026), erased set-wise: one statement of
 * each kind for all of them, one by one in savepoints only after a failure (docs/adr/0028).
 *
 * The scope is not consulted: a relational system's rows belong to the person, not to a purpose,
 * so a PURPOSES erasure routed here erases what this system holds on the subject.
 */
export class SqlConnector implements Connector {
  readonly system: string;
  private readonly config: SqlConnectorConfig;
  private readonly pool: Pool;
  private readonly ledger: ErasureLedger;
  private readonly slots: Slots;
  private readonly erasures: Batches<{ target: ErasureTarget; schema: CheckedSchema }, ErasureOutcome>;
  private prepared: Promise<CheckedSchema> | null = null;

  /** Validates `config` (throws SqlConfigError naming each bad key) and connects lazily. */
  constructor(config: unknown) {
    this.config = validateSqlConfig(config);
    this.system = this.config.system;
    this.ledger = new ErasureLedger(this.config.schema, this.system);
    const poolSize = this.config.poolSize ?? 4;
    this.slots = new Slots(poolSize);
    this.erasures = new Batches(this.slots, this.config.stepsPerTransaction ?? DEFAULT_STEPS_PER_TRANSACTION, (items) =>
      this.connected('erase', (client) => this.transaction(client, items[0].schema, items.map((item) => item.target), true)),
    );
    this.pool = new Pool({
      // A connection the server ends while checked out (mid-transaction, or as it is handed out)
      // fails its next query instead of ending the worker with an unlistened 'error'.
      Client: GuardedPgClient,
      connectionString: this.config.url,
      max: poolSize,
      connectionTimeoutMillis: this.config.connectTimeoutMs ?? 10_000,
      statement_timeout: this.config.statementTimeoutMs ?? 60_000,
      application_name: `lethe-connector-${this.system}`.slice(0, 63),
    });
    // An idle connection the server drops is emitted here; the pool discards it, and the next
    // checkout reports a real failure if the database is really gone. Unhandled, it would crash.
    this.pool.on('error', () => undefined);
  }

  /**
   * For a system whose `onOptOut` maps something to anonymize: every table must say how, or the
   * worker refuses to start, naming them, rather than delete or skip those rows later.
   */
  assertCanAnonymize(): void {
    const missing = tablesWithoutAnonymization(this.config);
    if (missing.length > 0) {
      throw new ConnectorError(`tables ${missing.join(', ')} declare no fields to anonymize (give them fields with whenKeepingHistory: anonymize, or action: anonymize)`, false);
    }
  }

  async testConnection(): Promise<void> {
    await this.withClient('test connection', async (client) => {
      await client.query('select 1');
      await checkSchema(client, this.config);
    });
  }

  async erase(target: ErasureTarget): Promise<ErasureOutcome> {
    const schema = await this.prepare('erase');
    return this.erasures.submit({ target, schema });
  }

  /** Runs the very same statements as `erase` and rolls them back, so a dry run also finds what would fail, and its counts are exact. */
  async dryRun(target: ErasureTarget): Promise<ErasureOutcome> {
    const schema = await this.prepare('dry run');
    const [result] = await this.withClient('dry run', (client) => this.transaction(client, schema, [target], false));
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Erases (commit) or rehearses (rollback) `targets` in one transaction, each settled on its own.
   * An erasure runs set-wise first (`together`) when each row it touches can be counted for one
   * target (no value looked for twice, unique `via` keys); when one of its statements fails, all of it rolls
   * back and the targets are done again one by one, each in a savepoint, so that the failure lands
   * on its own target and the others still commit (docs/adr/0028).
   */
  private async transaction(client: PoolClient, schema: CheckedSchema, targets: ErasureTarget[], commit: boolean): Promise<Settled[]> {
    const setWise =
      commit && schema.viaKeysUnique && shareNoValue(this.config.subject.match, targets) && new Set(targets.map((target) => target.workId)).size === targets.length;
    if (setWise) {
      const together = await this.inTransaction(client, true, () => this.together(client, schema, targets)).catch(() => null);
      if (together) return together;
    }
    return this.inTransaction(client, commit, async () => {
      const results: Settled[] = [];
      for (const target of targets) results.push(await this.step(client, schema, target, commit));
      return results;
    });
  }

  private async inTransaction<T>(client: PoolClient, commit: boolean, work: () => Promise<T>): Promise<T> {
    try {
      // Year coarsening of timestamptz columns truncates in the session's zone: fix it. One
      // round trip for both (a query without parameters may hold several statements).
      await client.query(`begin; set local time zone 'UTC'`);
      const result = await work();
      await client.query(commit ? 'commit' : 'rollback');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Every target's work with one statement of each kind for all: one ledger claim, each planned
   * statement once per kind of erasure (with every target's values, counting each row for the
   * target whose value found it), one ledger record. A target that cannot be carried out (no
   * identity to match, say) fails with its reason and gives its claim back. Throws when a
   * statement fails: the caller rolls back and does the targets one by one.
   */
  private async together(client: PoolClient, schema: CheckedSchema, targets: ErasureTarget[]): Promise<Settled[]> {
    const done = await this.ledger.claim(client, targets.map((target) => target.workId));
    const results: Settled[] = [];
    const plans = new Map<string, { steps: PlannedStep[]; owners: number[]; matches: OwnedValue[] }>();
    const cannot: string[] = [];
    targets.forEach((target, owner) => {
      const earlier = done.get(target.workId);
      if (earlier) return void (results[owner] = { status: 'fulfilled', value: { ...earlier, alreadyDone: true } });
      try {
        const { steps, values } = this.planFor(target, 'erase');
        const mode = modeOf(target);
        const plan = plans.get(mode) ?? { steps, owners: [], matches: [] };
        plan.owners.push(owner);
        plan.matches.push(...values.map((value) => ({ value, owner })));
        plans.set(mode, plan);
      } catch (error) {
        results[owner] = { status: 'rejected', reason: error };
        cannot.push(target.workId);
      }
    });
    if (cannot.length > 0) await this.ledger.unclaim(client, cannot);
    const outcomes = new Map<string, RecordedOutcome>();
    for (const { steps, owners, matches } of plans.values()) {
      const counts = await this.runPlan(client, schema, steps, matches, owners);
      for (const owner of owners) {
        const outcome = outcomeOf(steps, counts.get(owner) ?? {});
        outcomes.set(targets[owner].workId, outcome);
        results[owner] = { status: 'fulfilled', value: { ...outcome, alreadyDone: false } };
      }
    }
    if (outcomes.size > 0) await this.ledger.record(client, outcomes);
    return results;
  }

  /**
   * One target's work in a savepoint: when it fails, rolling back to the savepoint undoes its
   * statements and its ledger claim, and the transaction goes on with the next target. Only a
   * connection that can no longer roll back fails the whole transaction (every target is retried).
   */
  private async step(client: PoolClient, schema: CheckedSchema, target: ErasureTarget, commit: boolean): Promise<Settled> {
    const doing = commit ? 'erase' : 'dry run';
    await client.query('savepoint step');
    try {
      const earlier = (await (commit ? this.ledger.claim(client, [target.workId]) : this.ledger.find(client, [target.workId]))).get(target.workId);
      if (earlier) {
        await client.query('release savepoint step');
        return { status: 'fulfilled', value: { ...earlier, alreadyDone: true } };
      }
      const { steps, values } = this.planFor(target, doing);
      const matches = values.map((value) => ({ value, owner: 0 }));
      const outcome = outcomeOf(steps, (await this.runPlan(client, schema, steps, matches, [0])).get(0) ?? {});
      if (commit) await this.ledger.record(client, new Map([[target.workId, outcome]]));
      await client.query('release savepoint step');
      return { status: 'fulfilled', value: { ...outcome, alreadyDone: false } };
    } catch (error) {
      await client.query('rollback to savepoint step').catch(() => {
        throw error;
      });
      return { status: 'rejected', reason: toConnectorError(error, this.system, doing) };
    }
  }

  /**
   * The planned statements for the target and the values they look for, or why it cannot be
   * carried out. Checked after the ledger, so a request done before its identity was shredded
   * stays done; thrown before any statement, so nothing of it runs.
   */
  private planFor(target: ErasureTarget, doing: string): { steps: PlannedStep[]; values: string[] } {
    const { match } = this.config.subject;
    const values = subjectValues(match, target);
    if (values.length === 0) throw noIdentityForMatch('sql', this.system, doing, [match.replace(/^identity:/, '')], target);
    if (target.reaction?.action === 'suppress') {
      // Refused when the systems file is read (a row cannot be "suppressed"); never a delete here.
      throw new ConnectorError(`sql connector "${this.system}": ${doing} failed: cannot_suppress: a database row can be deleted or anonymized, not suppressed`, false);
    }
    const steps = planErasure(this.config, modeOf(target));
    if (!steps) {
      // Refused at start (assertCanAnonymize); kept here so no path can delete instead.
      throw new ConnectorError(`sql connector "${this.system}": ${doing} failed: cannot_anonymize: tables ${tablesWithoutAnonymization(this.config).join(', ')} declare no fields to anonymize`, false);
    }
    return { steps, values };
  }

  /** Runs `steps` in order for the values `matches`; answers each owner's row count per table. */
  private async runPlan(client: PoolClient, schema: CheckedSchema, steps: PlannedStep[], matches: OwnedValue[], owners: number[]): Promise<Map<number, Record<string, number>>> {
    const counts = new Map(owners.map((owner) => [owner, {} as Record<string, number>]));
    for (const step of steps) {
      for (const tables of counts.values()) tables[step.table] = 0;
      const statement = stepStatement(this.config, step, matches, !schema.subjectColumnIsText);
      const { rows } = await client.query<{ owner: number }>(statement.text, statement.values).catch((error: unknown) => {
        // Some server errors (an unknown column, say) name only the alias: say which table it was.
        if (error instanceof Error && !('table' in error && error.table)) Object.assign(error, { table: step.table });
        throw error;
      });
      for (const { owner } of rows) {
        const tables = counts.get(owner);
        if (tables) tables[step.table] += 1;
      }
    }
    return counts;
  }

  /** Checks the schema and creates the ledger once; a failure is retried on the next call. */
  private prepare(doing: string): Promise<CheckedSchema> {
    if (!this.prepared) {
      const preparing = this.withClient(doing, async (client) => {
        const schema = await checkSchema(client, this.config);
        await this.ledger.ensureExists(client);
        return schema;
      });
      this.prepared = preparing;
      preparing.catch(() => {
        if (this.prepared === preparing) this.prepared = null;
      });
    }
    return this.prepared;
  }

  /** Runs `work` on a pooled connection once a slot is free. */
  private withClient<T>(doing: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.slots.run(() => this.connected(doing, work));
  }

  /** Runs `work` on a pooled connection (the caller holds a slot), turning any failure into a ConnectorError. */
  private async connected<T>(doing: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      return await work(client);
    } catch (error) {
      throw toConnectorError(error, this.system, doing);
    } finally {
      client?.release();
    }
  }
}
