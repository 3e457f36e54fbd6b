/**
 * `npm start`'s demo: a small shop database, a Redis session cache and a compacted customer-profile
 * topic holding two customers, and the systems file that points Lethe's erasure workers at them
 * (plus the demo marketing processor). Run again, it puts back what an erasure removed.
 *
 *   node -r @swc-node/register deploy/local/demo/seed.ts <systems file to write>
 */
import { writeFileSync } from 'node:fs';
import { dump } from 'js-yaml';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { endpointsFrom } from '@lethe/config';
import { ACKS_ALL, createKafka, createSafeProducer } from '@lethe/kafka';

export const DEMO = {
  schema: 'demo_shop',
  profileTopic: 'demo.customer-profiles',
  processorPort: Number(process.env.LETHE_DEMO_PROCESSOR_PORT ?? 3100),
  /** Shared by the worker and the demo processor; a real processor's secret is never committed. */
  processorSecret: 'lethe-demo-processor-secret',
  /** Keys the demo shop's card-holder pseudonyms; a real system's is never committed either. */
  hmacSecret: 'lethe-demo-hmac-secret',
  customers: [
    { subjectId: 'subj-123', email: 'ada@example.com', name: 'Ada Lovelace' },
    { subjectId: 'subj-456', email: 'grace@example.com', name: 'Grace Hopper' },
  ],
};

const SHOP_TABLES = `
  create schema if not exists demo_shop;
  create table if not exists demo_shop.customers (id serial primary key, external_id text not null unique, email text not null, name text not null);
  create table if not exists demo_shop.addresses (id serial primary key, customer_id int not null references demo_shop.customers(id), street text, city text);
  create table if not exists demo_shop.orders (id serial primary key, customer_id int references demo_shop.customers(id),
    shipping_name text, shipping_address text, amount numeric(10, 2) not null, ordered_at timestamptz not null);
  create table if not exists demo_shop.payments (id serial primary key, order_id int not null references demo_shop.orders(id),
    card_holder text, amount numeric(10, 2) not null, paid_at timestamptz not null);`;

async function seedShop(pool: Pool): Promise<void> {
  await pool.query(SHOP_TABLES);
  for (const customer of DEMO.customers) {
    const existing = await pool.query('select 1 from demo_shop.customers where external_id = $1', [customer.subjectId]);
    if (existing.rowCount) continue;
    const { rows } = await pool.query('insert into demo_shop.customers (external_id, email, name) values ($1, $2, $3) returning id', [customer.subjectId, customer.email, customer.name]);
    const id = rows[0].id;
    await pool.query('insert into demo_shop.addresses (customer_id, street, city) values ($1, $2, $3)', [id, '12 Analytical Row', 'London']);
    const order = await pool.query(
      `insert into demo_shop.orders (customer_id, shipping_name, shipping_address, amount, ordered_at) values ($1, $2, $3, 42.00, '2026-03-14T10:00:00Z') returning id`,
      [id, customer.name, '12 Analytical Row, London'],
    );
    await pool.query(`insert into demo_shop.payments (order_id, card_holder, amount, paid_at) values ($1, $2, 42.00, '2026-03-14T10:01:00Z')`, [order.rows[0].id, customer.name.toUpperCase()]);
  }
}

async function seedCache(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  for (const { subjectId } of DEMO.customers) {
    await redis.set(`demo:session:${subjectId}`, 'session-token');
    await redis.set(`demo:cart:${subjectId}:1`, 'notebook');
  }
  await redis.quit();
}

async function seedProfiles(brokers: string[]): Promise<void> {
  const kafka = createKafka({ brokers, clientId: 'lethe-demo-seed' });
  const admin = kafka.admin();
  await admin.connect();
  const topics = await admin.listTopics();
  if (!topics.includes(DEMO.profileTopic)) {
    await admin.createTopics({ topics: [{ topic: DEMO.profileTopic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
  }
  await admin.disconnect();
  const producer = createSafeProducer(kafka);
  await producer.connect();
  await producer.send({ topic: DEMO.profileTopic, acks: ACKS_ALL, messages: DEMO.customers.map((c) => ({ key: c.subjectId, value: JSON.stringify({ name: c.name, tier: 'gold' }) })) });
  await producer.disconnect();
}

/** The four demo systems, declared as a user would declare theirs (see the README). */
function systemsFile(databaseUrl: string, redisUrl: string, apiUrl: string): object {
  const byCustomer = { column: 'customer_id', references: 'customers.id' };
  return {
    retry: { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 30000 },
    systems: [
      {
        name: 'shop-db',
        type: 'sql',
        url: databaseUrl,
        schema: DEMO.schema,
        hmacSecret: DEMO.hmacSecret,
        subject: { table: 'customers', column: 'external_id', match: 'subject_id' },
        tables: [
          { name: 'customers', root: true, action: 'delete' },
          { name: 'addresses', via: byCustomer, action: 'delete' },
          { name: 'orders', via: byCustomer, action: 'anonymize', fields: { customer_id: 'null', shipping_name: 'redact', shipping_address: 'redact' } },
          { name: 'payments', via: { column: 'order_id', references: 'orders.id' }, action: 'anonymize', fields: { card_holder: 'hmac' } },
        ],
      },
      { name: 'session-cache', type: 'cache', url: redisUrl, keys: ['demo:session:{subjectId}'], patterns: ['demo:cart:{subjectId}:*'], onOptOut: { marketing: 'suppress' } },
      { name: 'profile-topic', type: 'kafka', topics: [{ topic: DEMO.profileTopic, key: '{subjectId}' }] },
      {
        name: 'marketing-processor',
        type: 'http',
        url: `http://127.0.0.1:${DEMO.processorPort}/opendsr/v1/requests`,
        secret: DEMO.processorSecret,
        callbackUrl: `${apiUrl}/v1/processors/marketing-processor/callbacks`,
      },
    ],
  };
}

async function main(): Promise<void> {
  const target = process.argv[2];
  if (!target) throw new Error('usage: seed.ts <systems file to write>');
  const endpoints = endpointsFrom(process.env);
  const pool = new Pool({ connectionString: endpoints.databaseUrl, max: 1 });
  try {
    await seedShop(pool);
  } finally {
    await pool.end();
  }
  await seedCache(endpoints.redisUrl);
  await seedProfiles(endpoints.kafkaBrokers);
  const apiUrl = `http://${process.env.LETHE_API_HOST ?? '127.0.0.1'}:${process.env.LETHE_API_PORT ?? 3000}`;
  writeFileSync(target, `# Written by npm start for the demo; declare your own systems in a file like this.\n${dump(systemsFile(endpoints.databaseUrl, endpoints.redisUrl, apiUrl))}`);
  console.log(`[demo] shop database (schema ${DEMO.schema}), session cache and ${DEMO.profileTopic} hold ${DEMO.customers.map((c) => c.subjectId).join(', ')}; systems in ${target}`);
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`[demo] seeding failed: ${error.message}`);
    process.exit(1);
  });
}
