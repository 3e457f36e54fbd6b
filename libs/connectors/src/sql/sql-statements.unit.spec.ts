import { createHash, createHmac } from 'node:crypto';
import type { SqlConnectorConfig } from './sql-config';
import { hmacPads, quoteIdentifier, stepStatement, strategyExpression, subjectRowsJoin } from './sql-statements';

const config: SqlConnectorConfig = {
  system: 'shop',
  url: 'postgres://x/y',
  schema: 'shop',
  hmacSecret: 'secret',
  subject: { table: 'customers', column: 'external_id', match: 'subject_id' },
  tables: [
    { name: 'customers', root: true, action: 'delete' },
    { name: 'orders', via: { column: 'customer_id', references: 'customers.id' }, action: 'delete' },
    { name: 'payments', via: { column: 'order_id', references: 'orders.id' }, action: 'anonymize', fields: { holder: 'hmac' } },
  ],
};

describe('quoteIdentifier', () => {
  it('quotes plain names and refuses anything that could leave the quotes', () => {
    expect(quoteIdentifier('orders')).toBe('"orders"');
    expect(() => quoteIdentifier('orders"; drop table x; --')).toThrow(/not a plain identifier/);
  });
});

describe('subjectRowsJoin', () => {
  const values = 'unnest($1::text[], $2::int[]) as v(value, owner)';

  it('compares the root subject column with the unnested values', () => {
    expect(subjectRowsJoin(config, 'customers', false)).toEqual({ from: [values], where: ['t0."external_id" = v.value'] });
    expect(subjectRowsJoin(config, 'customers', true).where).toEqual(['t0."external_id"::text = v.value']);
  });

  it('joins the parent tables to any depth', () => {
    expect(subjectRowsJoin(config, 'payments', false)).toEqual({
      from: ['"shop"."orders" as t1', '"shop"."customers" as t2', values],
      where: ['t0."order_id" = t1."id"', 't1."customer_id" = t2."id"', 't2."external_id" = v.value'],
    });
  });
});

describe('strategies', () => {
  it('writes one expression per strategy, keeping absent values absent', () => {
    expect(strategyExpression('x', 'null')).toBe('null');
    expect(strategyExpression('x', 'redact')).toBe(`case when t0."x" is null then null else '[erased]' end`);
    expect(strategyExpression('x', 'year')).toBe(`date_trunc('year', t0."x")`);
    expect(strategyExpression('x', 'random')).toMatch(/gen_random_uuid/);
  });

  it.each(['secret', 'k'.repeat(64), 'a much longer secret than one sha-256 block of sixty-four bytes, hashed first'])(
    'derives pads that give the standard HMAC-SHA256 (key of %#)',
    (secret) => {
      const { inner, outer } = hmacPads(secret);
      const message = 'Hauptstraße 1, 10115 Berlin';
      const innerHash = createHash('sha256').update(Buffer.concat([inner, Buffer.from(message, 'utf8')])).digest();
      const composed = createHash('sha256').update(Buffer.concat([outer, innerHash])).digest('hex');
      expect(composed).toBe(createHmac('sha256', secret).update(message).digest('hex'));
    },
  );
});

describe('stepStatement', () => {
  it('passes the values and the hmac pads as parameters, never in the text', () => {
    const statement = stepStatement(
      config,
      { table: 'payments', kind: 'anonymize', fields: { holder: 'hmac' }, legalHoldBasis: null },
      [{ value: "x'; drop table customers; --", owner: 3 }],
      false,
    );
    expect(statement.text).toMatch(/^update "shop"\."payments" as t0 set "holder" = encode\(sha256\(\$4::bytea/);
    expect(statement.text).toMatch(/ returning v\.owner$/);
    expect(statement.text).not.toContain('drop table');
    expect(statement.text).not.toContain('secret');
    expect(statement.values).toEqual([["x'; drop table customers; --"], [3], hmacPads('secret').inner, hmacPads('secret').outer]);
  });

  it('deletes with only the subject values and their owners as parameters', () => {
    const statement = stepStatement(config, { table: 'orders', kind: 'delete' }, [{ value: 'subj-1', owner: 0 }, { value: 'subj-2', owner: 1 }], false);
    expect(statement.text).toBe(
      'delete from "shop"."orders" as t0 using "shop"."customers" as t1, unnest($1::text[], $2::int[]) as v(value, owner) ' +
        'where t0."customer_id" = t1."id" and t1."external_id" = v.value returning v.owner',
    );
    expect(statement.values).toEqual([['subj-1', 'subj-2'], [0, 1]]);
  });
});
