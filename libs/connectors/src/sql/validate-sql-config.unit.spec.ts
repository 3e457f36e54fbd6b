import { SqlConfigError, validateSqlConfig } from './validate-sql-config';

/** A valid shop configuration; each test breaks one thing. */
function shopConfig(): Record<string, unknown> {
  return {
    system: 'shop-db',
    url: 'postgres://user:pw@localhost:5432/shop',
    schema: 'shop',
    hmacSecret: 'a-secret-of-some-length',
    subject: { table: 'customers', column: 'external_id', match: 'subject_id' },
    tables: [
      { name: 'customers', root: true, action: 'delete' },
      { name: 'addresses', via: { column: 'customer_id', references: 'customers.id' }, action: 'delete' },
      {
        name: 'orders',
        via: { column: 'customer_id', references: 'customers.id' },
        action: 'anonymize',
        fields: { customer_id: null, shipping_name: 'redact', shipping_address: 'hmac', ordered_at: 'year' },
      },
      {
        name: 'invoices',
        via: { column: 'order_id', references: 'orders.id' },
        legalHold: { basis: 'HGB §257', fields: { billing_email: 'null' } },
      },
    ],
  };
}

function issuesOf(raw: unknown): string[] {
  try {
    validateSqlConfig(raw);
  } catch (error) {
    if (error instanceof SqlConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

function withTable(index: number, patch: Record<string, unknown>): Record<string, unknown> {
  const config = shopConfig();
  const tables = config.tables as Record<string, unknown>[];
  tables[index] = { ...tables[index], ...patch };
  return config;
}

describe('validateSqlConfig', () => {
  it('accepts a valid configuration and spells a YAML null strategy as "null"', () => {
    const config = validateSqlConfig(shopConfig());
    expect(config.tables[2].fields).toEqual({
      customer_id: 'null',
      shipping_name: 'redact',
      shipping_address: 'hmac',
      ordered_at: 'year',
    });
    expect(config.tables[3].legalHold).toEqual({ basis: 'HGB §257', fields: { billing_email: 'null' } });
  });

  it('takes 1 to 64 steps per transaction, and refuses anything else, naming the key', () => {
    expect(validateSqlConfig({ ...shopConfig(), stepsPerTransaction: 1 }).stepsPerTransaction).toBe(1);
    expect(validateSqlConfig({ ...shopConfig(), stepsPerTransaction: 64 }).stepsPerTransaction).toBe(64);
    for (const bad of [0, 65, 2.5, '8']) {
      expect(issuesOf({ ...shopConfig(), stepsPerTransaction: bad })).toEqual(['stepsPerTransaction: must be an integer from 1 to 64']);
    }
  });

  it('refuses an unknown strategy, naming the key path', () => {
    const issues = issuesOf(withTable(2, { fields: { shipping_name: 'rot13' } }));
    expect(issues).toEqual([expect.stringMatching(/^tables\[2\]\.fields\.shipping_name: unknown strategy "rot13"/)]);
  });

  it('refuses the unkeyed sha256, in fields and under a legal hold, pointing to hmac', () => {
    const config = withTable(2, { fields: { shipping_name: 'sha256' } });
    (config.tables as Record<string, unknown>[])[3] = { ...(config.tables as Record<string, unknown>[])[3], legalHold: { basis: 'HGB §257', fields: { billing_email: 'sha256' } } };
    const issues = issuesOf(config);
    expect(issues).toEqual([
      expect.stringMatching(/^tables\[2\]\.fields\.shipping_name: strategy "sha256" is not accepted: .*pseudonym.*; use "hmac", keyed by hmacSecret$/),
      expect.stringMatching(/^tables\[3\]\.legalHold\.fields\.billing_email: strategy "sha256" is not accepted/),
    ]);
  });

  it('refuses names that are not plain lowercase identifiers', () => {
    const config = withTable(1, { name: 'Addresses"; drop table x; --' });
    config.schema = 'Shop';
    const issues = issuesOf(config);
    expect(issues).toContainEqual(expect.stringMatching(/^tables\[1\]\.name: must be an identifier/));
    expect(issues).toContainEqual(expect.stringMatching(/^schema: must be an identifier/));
    expect(issuesOf(withTable(2, { fields: { 'ship-name': 'redact' } }))).toContainEqual(
      expect.stringMatching(/^tables\[2\]\.fields\.ship-name: bad column name/),
    );
  });

  it('refuses a via referencing an unknown table', () => {
    const issues = issuesOf(withTable(1, { via: { column: 'customer_id', references: 'clients.id' } }));
    expect(issues).toEqual(['tables[1].via.references: unknown table "clients"']);
  });

  it('refuses a cycle in the via graph, naming the tables walked', () => {
    const config = shopConfig();
    (config.tables as unknown[]).push(
      { name: 'a', via: { column: 'b_id', references: 'b.id' }, action: 'delete' },
      { name: 'b', via: { column: 'a_id', references: 'a.id' }, action: 'delete' },
    );
    expect(issuesOf(config)).toEqual(['tables[4].via.references: cycle a → b → a']);
  });

  it('refuses hmac without a secret, a missing action, and unknown keys', () => {
    const config = withTable(1, { action: undefined, feilds: {} });
    delete config.hmacSecret;
    const issues = issuesOf(config);
    expect(issues).toContain('tables[2].fields.shipping_address: strategy "hmac" needs hmacSecret');
    expect(issues).toContain('tables[1].action: must be "delete" or "anonymize"');
    expect(issues).toContain('tables[1].feilds: unknown key');
  });

  it('refuses a root that is not the subject table, and two roots', () => {
    const config = shopConfig();
    config.subject = { table: 'orders', column: 'id', match: 'identity:email' };
    expect(issuesOf(config)).toEqual(['subject.table: must be the root table "customers"']);
    const twoRoots = withTable(1, { root: true, via: undefined });
    expect(issuesOf(twoRoots)).toEqual(['tables: needs exactly one root table, found 2']);
  });

  it('refuses an unknown identity type and a non-postgres url', () => {
    const config = shopConfig();
    config.subject = { table: 'customers', column: 'email', match: 'identity:passport' };
    config.url = 'mysql://localhost/shop';
    const issues = issuesOf(config);
    expect(issues).toContainEqual(expect.stringMatching(/^subject\.match: must be one of subject_id, identity:email/));
    expect(issues).toContain('url: must be a postgres:// or postgresql:// URL');
  });

  it('refuses an action next to a legal hold, and whenKeepingHistory on an anonymize table', () => {
    expect(issuesOf(withTable(3, { action: 'delete' }))).toEqual([
      expect.stringMatching(/^tables\[3\]\.action: not allowed with legalHold/),
    ]);
    expect(issuesOf(withTable(2, { whenKeepingHistory: 'anonymize' }))).toEqual([
      'tables[2].whenKeepingHistory: only applies to action "delete"',
    ]);
  });

  it('is a non-retryable ConnectorError whose message lists every issue', () => {
    const config = withTable(2, { fields: { shipping_name: 'rot13' } });
    config.system = '';
    try {
      validateSqlConfig(config);
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(SqlConfigError);
      expect((error as SqlConfigError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/system: must be a non-empty string; tables\[2\]\.fields\.shipping_name/);
    }
  });
});
