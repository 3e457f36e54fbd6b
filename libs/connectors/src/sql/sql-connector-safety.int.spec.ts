import { Pool } from 'pg';
import { ConnectorError } from '../connector';
import { createShopSchema, erasureTarget, rowsById, seedCustomer, shopConfig, testEndpoints } from '@lethe/testing';
import { SqlConnector } from './sql-connector';
import { checkSchema } from './schema-check';
import { validateSqlConfig } from './validate-sql-config';

const url = testEndpoints().databaseUrl;
let pool: Pool;
let schema: string;
const opened: SqlConnector[] = [];

/** A connector closed after the suite. */
function connectorFor(config: unknown): SqlConnector {
  const connector = new SqlConnector(config);
  opened.push(connector);
  return connector;
}

beforeAll(async () => {
  pool = new Pool({ connectionString: url, max: 4 });
  schema = await createShopSchema(pool);
});

afterAll(async () => {
  await Promise.all(opened.map((connector) => connector.close()));
  await pool.query(`drop schema if exists "${schema}" cascade`);
  await pool.end();
});

async function tableCount(table: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`select count(*) as n from "${schema}"."${table}"`);
  return Number(rows[0].n);
}

describe('idempotency under concurrency', () => {
  it('acts once when two workers erase the same request at the same time', async () => {
    const jane = await seedCustomer(pool, schema);
    const target = erasureTarget({ subjectId: jane.externalId });
    const [first, second] = [connectorFor(shopConfig(url, schema)), connectorFor(shopConfig(url, schema))];

    const outcomes = await Promise.all([first.erase(target), second.erase(target)]);

    expect(outcomes.map((outcome) => outcome.alreadyDone).sort()).toEqual([false, true]);
    expect(outcomes[0].counts).toEqual(outcomes[1].counts);
    expect(outcomes[0].counts.customers).toBe(1);
    expect(await rowsById(pool, schema, 'customers', [jane.id])).toEqual([]);
    const ledger = await pool.query(`select outcome from "${schema}".lethe_erasure_ledger where work_id = $1`, [target.workId]);
    expect(ledger.rows).toEqual([{ outcome: expect.objectContaining({ counts: outcomes[0].counts }) }]);
  });
});

describe('hostile values', () => {
  const injections = ["' or '1'='1", "x'; drop table customers; --", '1 or 1=1', '%', 'ext-%'];

  it.each(injections)('treats the subject id %p as a plain value', async (subjectId) => {
    await seedCustomer(pool, schema);
    const customersBefore = await tableCount('customers');
    const outcome = await connectorFor(shopConfig(url, schema)).erase(erasureTarget({ subjectId }));
    expect(outcome.counts.customers).toBe(0);
    expect(await tableCount('customers')).toBe(customersBefore);
  });

  it('treats an identity value as a plain value, also against an integer subject column', async () => {
    const jane = await seedCustomer(pool, schema);
    const customersBefore = await tableCount('customers');
    const byCustomerId = connectorFor({
      ...shopConfig(url, schema),
      subject: { table: 'customers', column: 'id', match: 'identity:customer_id' },
    });
    const hostile = await byCustomerId.erase(
      erasureTarget({ identities: [{ type: 'customer_id', value: `${jane.id} or 1=1; drop table customers` }] }),
    );
    expect(hostile.counts.customers).toBe(0);
    expect(await tableCount('customers')).toBe(customersBefore);

    const genuine = await byCustomerId.erase(erasureTarget({ identities: [{ type: 'customer_id', value: String(jane.id) }] }));
    expect(genuine.counts.customers).toBe(1);
    expect(await tableCount('customers')).toBe(customersBefore - 1);
  });
});

describe('testConnection', () => {
  it('resolves when every configured table and column exists', async () => {
    await expect(connectorFor(shopConfig(url, schema)).testConnection()).resolves.toBeUndefined();
  });

  it('tells whether every via references a unique column, which set-wise erasure needs (docs/adr/0028)', async () => {
    const client = await pool.connect();
    try {
      expect((await checkSchema(client, validateSqlConfig(shopConfig(url, schema)))).viaKeysUnique).toBe(true);
      const byEmail = shopConfig(url, schema);
      byEmail.tables[5] = { ...byEmail.tables[5], via: { column: 'billing_email', references: 'customers.email' } };
      expect((await checkSchema(client, validateSqlConfig(byEmail))).viaKeysUnique).toBe(false);
    } finally {
      client.release();
    }
  });

  it('fails, not retryable, naming the missing column and table', async () => {
    const config = shopConfig(url, schema);
    config.tables[3].fields = { ...config.tables[3].fields, shipping_nme: 'redact' };
    config.tables.push({ name: 'wishlists', via: { column: 'customer_id', references: 'customers.id' }, action: 'delete' });
    const connector = connectorFor(config);

    const failure = await connector.testConnection().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect((failure as ConnectorError).retryable).toBe(false);
    expect((failure as Error).message).toBe(
      `sql connector "shop-db": missing in schema "${schema}": column "orders.shipping_nme", table "wishlists"`,
    );
    // Erasing checks the same before acting, and so changes nothing.
    const jane = await seedCustomer(pool, schema);
    await expect(connector.erase(erasureTarget({ subjectId: jane.externalId }))).rejects.toThrow(/column "orders.shipping_nme"/);
    expect(await rowsById(pool, schema, 'customers', [jane.id])).toHaveLength(1);
  });

  it('fails retryable when nothing listens on the port', async () => {
    const wrongPort = new URL(url);
    wrongPort.hostname = '127.0.0.1';
    wrongPort.port = '1';
    const connector = connectorFor(shopConfig(wrongPort.toString(), schema, { connectTimeoutMs: 2_000 }));

    const failure = await connector.testConnection().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({ retryable: true, message: expect.stringContaining('cannot reach the database') });
    await expect(connector.erase(erasureTarget({ subjectId: 'ext-1' }))).rejects.toMatchObject({ retryable: true });
  });
});

describe('a schema that changed after the check', () => {
  it('fails not retryable, naming the column but no personal data, and rolls back', async () => {
    const connector = connectorFor(shopConfig(url, schema));
    await connector.testConnection();
    const jane = await seedCustomer(pool, schema);
    const target = erasureTarget({ subjectId: jane.externalId });
    await connector.dryRun(erasureTarget()); // the check runs once, on first use
    await pool.query(`alter table "${schema}".payments rename column card_expiry to card_expires`);
    try {
      const failure = await connector.erase(target).catch((error: unknown) => error);
      expect(failure).toMatchObject({ retryable: false });
      expect((failure as Error).message).not.toContain(jane.externalId);
      expect((failure as Error).message).toBe(
        'sql connector "shop-db": erase failed: SQLSTATE 42703: column t0.card_expiry does not exist (table "payments")',
      );
      expect(await rowsById(pool, schema, 'customers', [jane.id])).toHaveLength(1);
      const ledger = await pool.query(`select 1 from "${schema}".lethe_erasure_ledger where work_id = $1`, [target.workId]);
      expect(ledger.rowCount).toBe(0);
    } finally {
      await pool.query(`alter table "${schema}".payments rename column card_expires to card_expiry`);
    }
  });
});
