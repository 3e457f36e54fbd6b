import { createHmac } from 'node:crypto';
import { Pool } from 'pg';
import { ConnectorError, type ErasureOutcome } from '../connector';
import {
  createShopSchema,
  erasureTarget,
  HMAC_SECRET,
  RETENTION_BASIS,
  rowsById,
  seedCustomer,
  shopConfig,
  ShopCustomer,
  testEndpoints,
} from '@lethe/testing';
import { SqlConnector } from './sql-connector';

const url = testEndpoints().databaseUrl;
let pool: Pool;
let schema: string;
let connector: SqlConnector;

beforeAll(async () => {
  pool = new Pool({ connectionString: url, max: 4 });
  schema = await createShopSchema(pool);
  connector = new SqlConnector(shopConfig(url, schema));
});

afterAll(async () => {
  await connector?.close();
  await pool.query(`drop schema if exists "${schema}" cascade`);
  await pool.end();
});

const rows = (table: string, ids: number[]) => rowsById(pool, schema, table, ids);

/** Every row the customer owns, to compare before and after. */
async function snapshot(customer: ShopCustomer): Promise<unknown[]> {
  return [
    await rows('customers', [customer.id]),
    await rows('addresses', customer.addressIds),
    await rows('reviews', customer.reviewIds),
    await rows('orders', customer.orderIds),
    await rows('payments', customer.paymentIds),
    await rows('invoices', customer.invoiceIds),
  ];
}

const fullCounts = { customers: 1, addresses: 2, reviews: 2, orders: 2, payments: 2, invoices: 1 };

describe('SqlConnector.erase', () => {
  let jane: ShopCustomer;
  let max: ShopCustomer;
  let maxBefore: unknown[];
  let outcome: ErasureOutcome;
  const target = erasureTarget();

  beforeAll(async () => {
    jane = await seedCustomer(pool, schema, 'Jane Doe');
    max = await seedCustomer(pool, schema, 'Max Mustermann');
    maxBefore = await snapshot(max);
    target.subjectId = jane.externalId;
    outcome = await connector.erase(target);
  });

  it('deletes the customer and her addresses', async () => {
    expect(await rows('customers', [jane.id])).toEqual([]);
    expect(await rows('addresses', jane.addressIds)).toEqual([]);
  });

  it('keeps orders and payments with amounts and dates, anonymized with the requested strategies', async () => {
    const orders = await pool.query(
      `select customer_id, shipping_name, shipping_address, gift_note, amount, ordered_at,
              to_char(delivered_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as delivered
         from "${schema}".orders where id = any($1::int[]) order by id`,
      [jane.orderIds],
    );
    const hmac = (value: string) => createHmac('sha256', HMAC_SECRET).update(value, 'utf8').digest('hex');
    expect(orders.rows.map(({ gift_note: _random, ...row }) => row)).toEqual([
      {
        customer_id: null,
        shipping_name: '[erased]',
        shipping_address: hmac('Hauptstraße 1, 10115 Berlin'),
        amount: '19.99',
        ordered_at: new Date('2023-07-14T09:00:00Z'),
        delivered: '2023-01-01 00:00:00',
      },
      {
        customer_id: null,
        shipping_name: '[erased]',
        shipping_address: hmac('Nebenweg 2, 10115 Berlin'),
        amount: '5.00',
        ordered_at: new Date('2023-07-14T09:00:00Z'),
        delivered: '2023-01-01 00:00:00',
      },
    ]);
    const notes = orders.rows.map((row) => row.gift_note as string);
    expect(notes[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(notes[0]).not.toBe(notes[1]);

    const payments = await pool.query(
      `select card_holder, card_expiry::text as card_expiry, amount, paid_at
         from "${schema}".payments where id = any($1::int[]) order by id`,
      [jane.paymentIds],
    );
    // The same holder gives the same pseudonym: still linkable, hence reported as pseudonymized.
    expect(payments.rows).toEqual([
      { card_holder: hmac('JANE DOE'), card_expiry: '2027-01-01', amount: '19.99', paid_at: new Date('2023-07-14T09:01:00Z') },
      { card_holder: hmac('JANE DOE'), card_expiry: '2027-01-01', amount: '5.00', paid_at: new Date('2023-07-14T09:01:00Z') },
    ]);
  });

  it('keeps invoices under the legal hold, with only the listed fields anonymized, and names the basis', async () => {
    const [invoice] = await rows('invoices', jane.invoiceIds);
    expect(invoice).toMatchObject({ customer_id: null, billing_email: null, billing_name: 'Jane Doe', amount: '24.99' });
    expect(outcome.legalHold).toBe(`invoices: ${RETENTION_BASIS}`);
  });

  it('leaves other customers untouched', async () => {
    expect(await snapshot(max)).toEqual(maxBefore);
  });

  it('reports counts, strategies and the mixed action', () => {
    expect(outcome).toEqual({
      action: 'mixed',
      counts: fullCounts,
      strategies: {
        'reviews.customer_id': 'null',
        'reviews.author_name': 'redact',
        'orders.customer_id': 'null',
        'orders.shipping_name': 'redact',
        'orders.shipping_address': 'hmac',
        'orders.gift_note': 'random',
        'orders.delivered_at': 'year',
        'payments.card_holder': 'hmac',
        'payments.card_expiry': 'year',
        'invoices.customer_id': 'null',
        'invoices.billing_email': 'null',
      },
      legalHold: `invoices: ${RETENTION_BASIS}`,
      alreadyDone: false,
    });
  });

  it('does nothing the second time and reports the first outcome as already done', async () => {
    const after = await snapshot(jane);
    const again = await connector.erase(target);
    expect(again).toEqual({ ...outcome, alreadyDone: true });
    expect(await snapshot(jane)).toEqual(after);
  });
});

describe('SqlConnector.dryRun', () => {
  it('reports the counts erase would report, changing nothing and recording nothing', async () => {
    const jane = await seedCustomer(pool, schema);
    const before = await snapshot(jane);
    const target = erasureTarget({ subjectId: jane.externalId });

    const rehearsal = await connector.dryRun(target);

    expect(rehearsal).toMatchObject({ counts: fullCounts, alreadyDone: false, legalHold: `invoices: ${RETENTION_BASIS}` });
    expect(await snapshot(jane)).toEqual(before);
    const ledger = await pool.query(`select 1 from "${schema}".lethe_erasure_ledger where work_id = $1`, [target.workId]);
    expect(ledger.rowCount).toBe(0);
    expect(await connector.erase(target)).toEqual(rehearsal);
  });
});

describe('keepTransactionHistory', () => {
  it('deletes orders and payments when the request does not keep transaction history', async () => {
    const jane = await seedCustomer(pool, schema);
    const outcome = await connector.erase(erasureTarget({ subjectId: jane.externalId, keepTransactionHistory: false }));
    expect(outcome.counts).toEqual(fullCounts);
    expect(await rows('orders', jane.orderIds)).toEqual([]);
    expect(await rows('payments', jane.paymentIds)).toEqual([]);
    expect(await rows('reviews', jane.reviewIds)).toHaveLength(2);
    expect(await rows('invoices', jane.invoiceIds)).toHaveLength(1);
    expect(outcome.strategies['orders.shipping_name']).toBeUndefined();
    expect(outcome.strategies['reviews.author_name']).toBe('redact');
  });
});

describe('matching by identity', () => {
  let byEmail: SqlConnector;
  beforeAll(() => {
    const config = shopConfig(url, schema, { system: 'shop-db-by-email' });
    byEmail = new SqlConnector({ ...config, subject: { table: 'customers', column: 'email', match: 'identity:email' } });
  });
  afterAll(() => byEmail.close());

  it('finds the customer by the email identity', async () => {
    const jane = await seedCustomer(pool, schema);
    const outcome = await byEmail.erase(
      erasureTarget({ subjectId: 'unrelated', identities: [{ type: 'phone', value: '+49 30 1' }, { type: 'email', value: jane.email }] }),
    );
    expect(outcome.counts).toEqual(fullCounts);
    expect(await rows('customers', [jane.id])).toEqual([]);
  });

  it('fails for good, touching nothing, when the request carries no email to look for', async () => {
    const jane = await seedCustomer(pool, schema);
    const before = await snapshot(jane);
    const target = erasureTarget({ subjectId: jane.externalId });
    // None given (or shredded), another type only, an empty value.
    for (const identities of [[], [{ type: 'phone' as const, value: '+49 30 1' }], [{ type: 'email' as const, value: '' }]]) {
      for (const attempt of [() => byEmail.erase({ ...target, identities }), () => byEmail.dryRun({ ...target, identities })]) {
        const error = await attempt().then(() => null, (failure: unknown) => failure);
        expect(error).toBeInstanceOf(ConnectorError);
        expect(error).toMatchObject({
          retryable: false,
          message: expect.stringMatching(/^sql connector "shop-db-by-email": (erase|dry run) failed: no_identity_for_match: .*\(email\)/),
        });
        expect((error as Error).message).not.toContain(jane.externalId);
      }
    }
    expect(await snapshot(jane)).toEqual(before);
    // Nothing was recorded either: once the email is known, the same request erases for real.
    const later = await byEmail.erase({ ...target, identities: [{ type: 'email', value: jane.email }] });
    expect(later).toMatchObject({ counts: fullCounts, alreadyDone: false });
    expect(await rows('customers', [jane.id])).toEqual([]);
  });

  it('still reports a request done before its identity was shredded as done', async () => {
    const jane = await seedCustomer(pool, schema);
    const target = erasureTarget({ identities: [{ type: 'email', value: jane.email }] });
    const first = await byEmail.erase(target);
    expect(await byEmail.erase({ ...target, identities: [] })).toEqual({ ...first, alreadyDone: true });
  });
});
