import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { ErasureTarget, SqlConnectorConfig } from '@lethe/connectors';

/**
 * A small shop in a schema of its own, for the sql connector's specs and the erasure end-to-end: customers with
 * addresses, reviews, orders with payments, and invoices kept under a legal hold.
 */
export interface ShopCustomer {
  id: number;
  externalId: string;
  email: string;
  addressIds: number[];
  reviewIds: number[];
  orderIds: number[];
  paymentIds: number[];
  invoiceIds: number[];
}

export const HMAC_SECRET = 'shop-test-hmac-secret';
export const RETENTION_BASIS = 'HGB §257: invoices kept 10 years';

export async function createShopSchema(pool: Pool): Promise<string> {
  const schema = `shop_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  await pool.query(`
    create schema "${schema}";
    set search_path to "${schema}";
    create table customers (id serial primary key, external_id text not null unique, email text not null, name text not null);
    create table addresses (id serial primary key, customer_id int not null references customers(id), street text, city text);
    create table reviews (id serial primary key, customer_id int references customers(id), author_name text, body text);
    create table orders (
      id serial primary key, customer_id int references customers(id), shipping_name text, shipping_address text,
      gift_note text, amount numeric(10, 2) not null, ordered_at timestamptz not null, delivered_at timestamptz);
    create table payments (
      id serial primary key, order_id int not null references orders(id), card_holder text, card_expiry date,
      amount numeric(10, 2) not null, paid_at timestamptz not null);
    create table invoices (
      id serial primary key, customer_id int references customers(id), invoice_number text not null,
      billing_name text not null, billing_email text, amount numeric(10, 2) not null);
    set search_path to default;`);
  return schema;
}

/** Orders and payments are transactions: deleted, unless the request keeps their history. */
export function shopConfig(url: string, schema: string, overrides: Partial<SqlConnectorConfig> = {}): SqlConnectorConfig {
  const byCustomer = { column: 'customer_id', references: 'customers.id' };
  return {
    system: 'shop-db',
    url,
    schema,
    hmacSecret: HMAC_SECRET,
    subject: { table: 'customers', column: 'external_id', match: 'subject_id' },
    tables: [
      { name: 'customers', root: true, action: 'delete' },
      { name: 'addresses', via: byCustomer, action: 'delete' },
      { name: 'reviews', via: byCustomer, action: 'anonymize', fields: { customer_id: 'null', author_name: 'redact' } },
      {
        name: 'orders',
        via: byCustomer,
        action: 'delete',
        whenKeepingHistory: 'anonymize',
        fields: { customer_id: 'null', shipping_name: 'redact', shipping_address: 'hmac', gift_note: 'random', delivered_at: 'year' },
      },
      {
        name: 'payments',
        via: { column: 'order_id', references: 'orders.id' },
        action: 'delete',
        whenKeepingHistory: 'anonymize',
        fields: { card_holder: 'hmac', card_expiry: 'year' },
      },
      {
        name: 'invoices',
        via: byCustomer,
        legalHold: { basis: RETENTION_BASIS, fields: { customer_id: 'null', billing_email: 'null' } },
      },
    ],
    ...overrides,
  };
}

/** One customer with two of everything but invoices (one). */
export async function seedCustomer(pool: Pool, schema: string, name = 'Jane Doe'): Promise<ShopCustomer> {
  const unique = randomUUID().slice(0, 8);
  const one = async (sql: string, values: unknown[]) =>
    (await pool.query<{ id: number }>(sql.replace(/\bS\./g, `"${schema}".`), values)).rows[0].id;
  const email = `${name.split(' ')[0].toLowerCase()}-${unique}@example.com`;
  const id = await one('insert into S.customers (external_id, email, name) values ($1, $2, $3) returning id', [
    `ext-${unique}`,
    email,
    name,
  ]);
  const customer: ShopCustomer = { id, externalId: `ext-${unique}`, email, addressIds: [], reviewIds: [], orderIds: [], paymentIds: [], invoiceIds: [] };
  for (const [i, street] of ['Hauptstraße 1', 'Nebenweg 2'].entries()) {
    customer.addressIds.push(await one('insert into S.addresses (customer_id, street, city) values ($1, $2, $3) returning id', [id, street, 'Berlin']));
    customer.reviewIds.push(await one('insert into S.reviews (customer_id, author_name, body) values ($1, $2, $3) returning id', [id, name, `review ${i}`]));
    const orderId = await one(
      `insert into S.orders (customer_id, shipping_name, shipping_address, gift_note, amount, ordered_at, delivered_at)
       values ($1, $2, $3, $4, $5, '2023-07-14T09:00:00Z', '2023-07-15T10:20:00Z') returning id`,
      [id, name, `${street}, 10115 Berlin`, `for ${name}`, i === 0 ? '19.99' : '5.00'],
    );
    customer.orderIds.push(orderId);
    customer.paymentIds.push(
      await one(
        `insert into S.payments (order_id, card_holder, card_expiry, amount, paid_at)
         values ($1, $2, '2027-09-30', $3, '2023-07-14T09:01:00Z') returning id`,
        [orderId, name.toUpperCase(), i === 0 ? '19.99' : '5.00'],
      ),
    );
  }
  customer.invoiceIds.push(
    await one('insert into S.invoices (customer_id, invoice_number, billing_name, billing_email, amount) values ($1, $2, $3, $4, $5) returning id', [
      id,
      `INV-${unique}`,
      name,
      email,
      '24.99',
    ]),
  );
  return customer;
}

export function erasureTarget(overrides: Partial<ErasureTarget> = {}): ErasureTarget {
  return {
    workId: `work-${randomUUID()}`,
    subjectId: 'nobody',
    identities: [],
    scope: 'ALL',
    purposes: [],
    keepTransactionHistory: true,
    ...overrides,
  };
}

/** The rows of `table` with the given ids, ordered by id. */
export async function rowsById(pool: Pool, schema: string, table: string, ids: number[]): Promise<Record<string, unknown>[]> {
  const { rows } = await pool.query(`select * from "${schema}"."${table}" where id = any($1::int[]) order by id`, [ids]);
  return rows;
}
