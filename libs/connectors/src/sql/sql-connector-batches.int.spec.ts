import { Pool } from 'pg';
import { ConnectorError } from '../connector';
import { createShopSchema, erasureTarget, rowsById, seedCustomer, shopConfig, ShopCustomer, testEndpoints } from '@lethe/testing';
import { LEDGER_TABLE } from './erasure-ledger';
import { SqlConnector } from './sql-connector';

/**
 * Steps that arrive while every connection is busy share one transaction, each in a savepoint:
 * one step's failure must undo that step only, and a lost connection must fail them all, never
 * leave some done and others claimed.
 */
const url = testEndpoints().databaseUrl;
let pool: Pool;
let schema: string;
let connector: SqlConnector;

beforeAll(async () => {
  pool = new Pool({ connectionString: url, max: 2 });
  schema = await createShopSchema(pool);
  // One connection: the first step runs alone, every later one waits and joins the next batch.
  connector = new SqlConnector(shopConfig(url, schema, { poolSize: 1 }));
});

afterAll(async () => {
  await connector?.close();
  await pool.query(`drop schema if exists "${schema}" cascade`);
  await pool.end();
});

/** Every row the customer owns. */
const snapshot = async (c: ShopCustomer) =>
  Promise.all(
    (
      [
        ['customers', [c.id]],
        ['addresses', c.addressIds],
        ['reviews', c.reviewIds],
        ['orders', c.orderIds],
        ['payments', c.paymentIds],
        ['invoices', c.invoiceIds],
      ] as const
    ).map(([table, ids]) => rowsById(pool, schema, table, [...ids])),
  );

const ledger = async (workIds: string[]) =>
  (await pool.query<{ work_id: string; done_at: Date }>(`select work_id, done_at from "${schema}".${LEDGER_TABLE} where work_id = any($1)`, [workIds])).rows;

/** A trigger on orders that does `action` when the order's shipping name is `name`. */
async function trap(name: string, action: string): Promise<() => Promise<void>> {
  const fn = `"${schema}".trap_${name.replace(/\W/g, '_').toLowerCase()}`;
  await pool.query(`create function ${fn}() returns trigger language plpgsql as $$ begin if old.shipping_name = '${name}' then ${action}; end if; return new; end $$`);
  await pool.query(`create trigger trap_${name.replace(/\W/g, '_').toLowerCase()} before update or delete on "${schema}".orders for each row execute function ${fn}()`);
  return async () => void (await pool.query(`drop function ${fn}() cascade`));
}

it('a step that fails in a shared transaction undoes only its own work; the others commit together', async () => {
  const untrap = await trap('Fail Me', `raise exception 'refused by a trigger'`);
  const customers = [await seedCustomer(pool, schema, 'Ann One'), await seedCustomer(pool, schema, 'Fail Me'), ...(await Promise.all(['Bo Two', 'Cy Three', 'Di Four'].map((n) => seedCustomer(pool, schema, n))))];
  const failing = customers[1];
  const before = await snapshot(failing);
  const targets = customers.map((c) => erasureTarget({ subjectId: c.externalId }));
  const results = await Promise.allSettled(targets.map((t) => connector.erase(t)));

  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  const reason = (results[1] as PromiseRejectedResult).reason as ConnectorError;
  expect(reason).toBeInstanceOf(ConnectorError);
  expect(reason.message).toMatch(/SQLSTATE P0001/);
  expect(await snapshot(failing)).toEqual(before);
  for (const c of [customers[0], ...customers.slice(2)]) expect(await rowsById(pool, schema, 'customers', [c.id])).toEqual([]);

  const done = await ledger(targets.map((t) => t.workId));
  expect(done.map((row) => row.work_id).sort()).toEqual([targets[0], ...targets.slice(2)].map((t) => t.workId).sort());
  // done_at is now(), the start of the transaction: the three that waited committed in one.
  const batched = done.filter((row) => row.work_id !== targets[0].workId).map((row) => row.done_at.getTime());
  expect(new Set(batched).size).toBe(1);

  // The failed step left no claim behind: once the cause is gone, it is carried out.
  await untrap();
  await expect(connector.erase(targets[1])).resolves.toMatchObject({ alreadyDone: false, counts: { customers: 1 } });
});

it('a connection lost mid-batch fails every step of the batch, retryable, and commits none of them', async () => {
  const untrap = await trap('Kill Me', 'perform pg_terminate_backend(pg_backend_pid())');
  const customers = [await seedCustomer(pool, schema, 'Ed Five'), ...(await Promise.all(['Fay Six', 'Kill Me', 'Gus Seven'].map((n) => seedCustomer(pool, schema, n))))];
  const batch = customers.slice(1);
  const before = await Promise.all(batch.map(snapshot));
  const targets = customers.map((c) => erasureTarget({ subjectId: c.externalId }));
  const results = await Promise.allSettled(targets.map((t) => connector.erase(t)));

  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected']);
  for (const result of results.slice(1)) expect((result as PromiseRejectedResult).reason).toMatchObject({ name: 'ConnectorError', retryable: true });
  expect(await Promise.all(batch.map(snapshot))).toEqual(before);
  expect(await ledger(targets.slice(1).map((t) => t.workId))).toEqual([]);

  await untrap();
  const retried = await Promise.all(targets.slice(1).map((t) => connector.erase(t)));
  expect(retried.map((o) => [o.alreadyDone, o.counts.customers])).toEqual([
    [false, 1],
    [false, 1],
    [false, 1],
  ]);
});
