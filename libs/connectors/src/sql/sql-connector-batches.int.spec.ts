import { Pool } from 'pg';
import { ConnectorError, NO_IDENTITY_FOR_MATCH } from '../connector';
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

/** Counts the statements that delete or update rows of `table` from now on (a statement-level trigger). */
async function countStatements(table: string): Promise<{ count: () => Promise<number>; stop: () => Promise<void> }> {
  const log = `"${schema}".statements_on_${table}`;
  const fn = `"${schema}".count_${table}`;
  await pool.query(`create table ${log} (at timestamptz default clock_timestamp())`);
  await pool.query(`create function ${fn}() returns trigger language plpgsql as $$ begin insert into ${log} default values; return null; end $$`);
  await pool.query(`create trigger count_statements after delete or update on "${schema}".${table} for each statement execute function ${fn}()`);
  return {
    count: async () => (await pool.query<{ n: number }>(`select count(*)::int as n from ${log}`)).rows[0].n,
    stop: async () => void (await pool.query(`drop function ${fn}() cascade; drop table ${log}`)),
  };
}

it('steps waiting together run set-wise, one statement per table for all, each outcome counting its own rows only', async () => {
  const customers = await Promise.all(['Hal One', 'Ida Two', 'Jo Three', 'Kai Four', 'Lu Five'].map((n) => seedCustomer(pool, schema, n)));
  // Different numbers of rows per customer, so that a count summed or swapped over the batch shows.
  await pool.query(`delete from "${schema}".addresses where id = $1`, [customers[2].addressIds[0]]);
  await pool.query(`insert into "${schema}".addresses (customer_id, street, city) select $1, 'Extra ' || k, 'Köln' from generate_series(1, 3) k`, [customers[3].id]);
  const addresses = [2, 2, 1, 5, 2];
  const doneBefore = erasureTarget({ subjectId: (await seedCustomer(pool, schema, 'Mo Six')).externalId });
  const firstOutcome = await connector.erase(doneBefore);
  const customerStatements = await countStatements('customers');
  const orderStatements = await countStatements('orders');
  const targets = customers.map((c, i) => erasureTarget({ subjectId: c.externalId, keepTransactionHistory: i !== 4 }));
  const noIdentity = erasureTarget({ subjectId: '' });

  // The first finds the one connection free and runs alone; the others wait and go together.
  const outcomes = await Promise.allSettled([...targets, noIdentity, doneBefore].map((t) => connector.erase(t)));
  const customersDeleted = await customerStatements.count();
  const ordersChanged = await orderStatements.count();
  await Promise.all([customerStatements.stop(), orderStatements.stop()]);

  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  expect((outcomes[6] as PromiseFulfilledResult<unknown>).value).toEqual({ ...firstOutcome, alreadyDone: true });
  const done = outcomes.slice(0, 5).map((o) => (o as PromiseFulfilledResult<{ counts: Record<string, number>; action: string }>).value);
  expect(done.map((o) => o.counts.addresses)).toEqual(addresses);
  expect(done.map((o) => [o.counts.customers, o.counts.orders, o.counts.payments, o.counts.reviews, o.counts.invoices])).toEqual(Array(5).fill([1, 2, 2, 2, 1]));
  for (const c of customers) expect(await rowsById(pool, schema, 'customers', [c.id])).toEqual([]);
  // Kept history for the first four (orders anonymized, no longer linked), deleted for the fifth.
  for (const c of customers.slice(0, 4)) expect((await rowsById(pool, schema, 'orders', c.orderIds)).map((o) => o.customer_id)).toEqual([null, null]);
  expect(await rowsById(pool, schema, 'orders', customers[4].orderIds)).toEqual([]);
  expect((outcomes[5] as PromiseRejectedResult).reason.message).toContain(NO_IDENTITY_FOR_MATCH);
  expect(await ledger([noIdentity.workId])).toEqual([]);
  // One statement per table for the first, alone, then one per table and kind of erasure for the
  // four that waited (three keeping history, one not); one by one, it would be five.
  expect(customersDeleted).toBe(3);
  expect(ordersChanged).toBe(3);
});

it('two requests of one subject waiting together count as they would one after the other: the first finds the rows and the hold, the second nothing', async () => {
  const [first, subject] = await Promise.all(['Nia One', 'Oz Two'].map((n) => seedCustomer(pool, schema, n)));
  const targets = [first, subject, subject].map((c) => erasureTarget({ subjectId: c.externalId }));
  const outcomes = await Promise.all(targets.map((t) => connector.erase(t)));

  const found = { customers: 1, addresses: 2, reviews: 2, orders: 2, payments: 2, invoices: 1 };
  expect(outcomes[1]).toMatchObject({ alreadyDone: false, counts: found, legalHold: expect.stringContaining('invoices: ') });
  expect(outcomes[2]).toMatchObject({ alreadyDone: false, counts: { customers: 0, addresses: 0, reviews: 0, orders: 0, payments: 0, invoices: 0 }, legalHold: null });
});

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
