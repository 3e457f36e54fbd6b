import Redis from 'ioredis';
import type { Admin, Consumer } from 'kafkajs';
import { Pool } from 'pg';
import {
  collectMessages,
  createFreshTopic,
  createShopSchema,
  erasureTarget,
  FakeProcessor,
  rowsById,
  seedCustomer,
  shopConfig,
  ShopCustomer,
  testEndpoints,
  testKafka,
  uniqueName,
  waitFor,
} from '@lethe/testing';
import { CacheConnector } from './cache';
import type { Connector, ErasureTarget } from './connector';
import { HttpConnector } from './http';
import { KafkaConnector } from './kafka';
import { SqlConnector } from './sql';

// One test per cell of the README's table "What each action does, by type of system": an erasure
// (with or without keepTransactionHistory) and each onOptOut action, on a real PostgreSQL, Redis,
// Kafka and a processor played by an HTTP server. The cells a type cannot honour are refused when
// the systems file is read (systems-file.unit.spec.ts, and connectors.unit.spec.ts of the worker).

type Case = 'erasure' | 'erasure keeping history' | 'onOptOut delete' | 'onOptOut anonymize' | 'onOptOut suppress';
const SECRET = 'actions-by-type-secret-0123456789';
const endpoints = testEndpoints();

function targetFor(kase: Case, subjectId: string, cause = 'marketing'): ErasureTarget {
  const base = erasureTarget({ subjectId, keepTransactionHistory: kase === 'erasure keeping history', identities: [{ type: 'email', value: 'ada@example.com' }] });
  if (!kase.startsWith('onOptOut')) return base;
  const action = kase.slice('onOptOut '.length) as 'delete' | 'anonymize' | 'suppress';
  return { ...base, scope: 'PURPOSES', purposes: [cause], keepTransactionHistory: action !== 'delete', reaction: { action, cause } };
}

let pool: Pool;
let schema: string;
let redis: Redis;
let admin: Admin;
let processor: FakeProcessor;
let processorUrl: string;
const closing: { close(): Promise<unknown> }[] = [];
const consumers: Consumer[] = [];

beforeAll(async () => {
  pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  schema = await createShopSchema(pool);
  redis = new Redis(endpoints.redisUrl);
  admin = testKafka('actions-by-type').admin();
  await admin.connect();
  processor = new FakeProcessor(SECRET, null);
  processorUrl = await processor.start();
});

afterAll(async () => {
  await Promise.all(closing.map((c) => c.close()));
  await Promise.all(consumers.map((c) => c.disconnect()));
  await processor?.stop();
  await pool?.query(`drop schema if exists "${schema}" cascade`);
  await Promise.all([pool?.end(), redis?.quit(), admin?.disconnect()]);
});

function opened<T extends Connector>(connector: T): T {
  closing.push(connector);
  return connector;
}

describe('sql', () => {
  /** The shop, with customers and addresses anonymizable too, as onOptOut anonymize requires. */
  const anonymizable = () => {
    const config = shopConfig(endpoints.databaseUrl, schema);
    const tables = config.tables.map((table) =>
      table.name === 'customers' ? { ...table, whenKeepingHistory: 'anonymize' as const, fields: { email: 'redact' as const, name: 'redact' as const } }
      : table.name === 'addresses' ? { ...table, whenKeepingHistory: 'anonymize' as const, fields: { street: 'null' as const } }
      : table,
    );
    return opened(new SqlConnector({ ...config, system: uniqueName('shop'), tables }));
  };
  const rows = async (customer: ShopCustomer) => ({
    customers: await rowsById(pool, schema, 'customers', [customer.id]),
    addresses: await rowsById(pool, schema, 'addresses', customer.addressIds),
    orders: await rowsById(pool, schema, 'orders', customer.orderIds),
    payments: await rowsById(pool, schema, 'payments', customer.paymentIds),
    invoices: await rowsById(pool, schema, 'invoices', customer.invoiceIds),
  });

  it.each(['erasure', 'onOptOut delete'] as const)('%s: deletes the rows of delete tables, anonymizes the rest, holds invoices', async (kase) => {
    const customer = await seedCustomer(pool, schema, 'Ada Lovelace');
    const outcome = await anonymizable().erase(targetFor(kase, customer.externalId));
    const after = await rows(customer);
    expect([after.customers, after.addresses, after.orders, after.payments]).toEqual([[], [], [], []]);
    expect(after.invoices).toEqual([expect.objectContaining({ customer_id: null, billing_email: null, amount: '24.99' })]);
    expect(outcome).toMatchObject({ action: 'mixed', counts: expect.objectContaining({ customers: 1, orders: 2 }) });
  });

  it('erasure keeping history: keeps the transactions (orders, payments) without identifiers, deletes the customer', async () => {
    const customer = await seedCustomer(pool, schema, 'Ada Lovelace');
    const plain = opened(new SqlConnector({ ...shopConfig(endpoints.databaseUrl, schema), system: uniqueName('shop') }));
    await plain.erase(targetFor('erasure keeping history', customer.externalId));
    const after = await rows(customer);
    expect(after.customers).toEqual([]);
    expect(after.orders.map((o) => [o.customer_id, o.shipping_name, o.amount])).toEqual([
      [null, '[erased]', '19.99'],
      [null, '[erased]', '5.00'],
    ]);
    expect(after.payments).toHaveLength(2);
  });

  it('onOptOut anonymize: anonymizes every table and deletes nothing', async () => {
    const customer = await seedCustomer(pool, schema, 'Ada Lovelace');
    const outcome = await anonymizable().erase(targetFor('onOptOut anonymize', customer.externalId));
    const after = await rows(customer);
    expect(Object.values(after).map((found) => found.length)).toEqual([1, 2, 2, 2, 1]);
    expect(after.customers[0]).toMatchObject({ email: '[erased]', name: '[erased]' });
    expect(after.addresses.map((a) => a.street)).toEqual([null, null]);
    expect(after.orders.every((o) => o.customer_id === null && o.shipping_name === '[erased]')).toBe(true);
    expect(outcome).toMatchObject({ action: 'anonymize', counts: expect.objectContaining({ customers: 1, addresses: 2 }) });
    expect(outcome.strategies).toMatchObject({ 'customers.email': 'redact', 'addresses.street': 'null' });
  });

  it('onOptOut anonymize on tables it could only delete: fails for good and touches nothing', async () => {
    const customer = await seedCustomer(pool, schema, 'Ada Lovelace');
    const plain = opened(new SqlConnector({ ...shopConfig(endpoints.databaseUrl, schema), system: uniqueName('shop') }));
    await expect(plain.erase(targetFor('onOptOut anonymize', customer.externalId))).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('cannot_anonymize') });
    expect((await rows(customer)).customers).toEqual([expect.objectContaining({ name: 'Ada Lovelace' })]);
  });
});

describe('cache', () => {
  const connector = () => opened(new CacheConnector({ system: uniqueName('sessions'), url: endpoints.redisUrl, keys: ['session:{subjectId}'], patterns: ['cart:{subjectId}:*'] }));

  it.each(['erasure', 'erasure keeping history', 'onOptOut delete', 'onOptOut suppress'] as const)('%s: deletes the cached copies (a cache holds no history)', async (kase) => {
    const subject = uniqueName('subj');
    await redis.set(`session:${subject}`, 'token');
    await redis.set(`cart:${subject}:1`, 'book');
    const outcome = await connector().erase(targetFor(kase, subject));
    expect(await redis.exists(`session:${subject}`, `cart:${subject}:1`)).toBe(0);
    expect(outcome).toMatchObject({ action: 'delete', counts: { 'session:{subjectId}': 1, 'cart:{subjectId}:*': 1 } });
  });
});

describe('kafka', () => {
  it.each(['erasure', 'erasure keeping history', 'onOptOut delete'] as const)('%s: sends a tombstone for the subject', async (kase) => {
    const topic = await createFreshTopic(admin, 'profiles', { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] });
    const subject = uniqueName('subj');
    const outcome = await opened(new KafkaConnector({ system: uniqueName('profiles'), topics: [{ topic, key: '{subjectId}' }] }, endpoints.kafkaBrokers)).erase(targetFor(kase, subject));
    expect(outcome).toMatchObject({ action: 'tombstone', counts: { [topic]: 1 } });
    const reader = testKafka('actions-by-type-reader').consumer({ groupId: uniqueName('test.actions') });
    consumers.push(reader);
    await reader.connect();
    const records = await collectMessages(reader, topic);
    const tombstone = await waitFor(() => records.find((r) => r.message.key?.toString() === subject), { description: 'the tombstone' });
    expect(tombstone.message.value).toBeNull();
  });
});

describe('http', () => {
  it.each([
    ['erasure', 'marketing', 'erasure'],
    ['erasure keeping history', 'marketing', 'erasure'],
    ['onOptOut delete', 'marketing', 'erasure'],
    ['onOptOut delete', 'SALE', 'opt_out_sale'],
    ['onOptOut anonymize', 'marketing', 'restriction'],
    ['onOptOut suppress', 'marketing', 'restriction'],
    ['onOptOut suppress', 'SHARING', 'opt_out_sharing'],
  ] as const)('%s (%s): sends the processor an OpenDSR %s', async (kase, cause, type) => {
    const system = uniqueName('mailer');
    const connector = opened(new HttpConnector({ system, url: processorUrl, secret: SECRET, callbackUrl: `http://127.0.0.1:1/v1/processors/${system}/callbacks`, identities: ['email'] }));
    const target = targetFor(kase, uniqueName('subj'), cause);
    const outcome = await connector.erase(target);
    expect(outcome.awaitingConfirmation).toBe(true);
    expect(processor.received.filter((r) => r.subjectRequestId === target.workId)).toEqual([expect.objectContaining({ type })]);
  });
});
