import { createHash } from 'node:crypto';
import { parseReference, PlannedStep } from './erasure-plan';
import { AnonymizeStrategy, IDENTIFIER, REDACTED_TEXT, SqlConnectorConfig } from './sql-config';

/** A statement whose text holds only validated names; every value travels as a parameter. */
export interface SqlStatement {
  text: string;
  values: unknown[];
}

/** Double-quotes a name. Re-checks it, so an unvalidated name can never reach SQL text. */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`refusing to quote "${name}": not a plain identifier`);
  return `"${name}"`;
}

export function qualifiedTable(schema: string | undefined, table: string): string {
  return schema ? `${quoteIdentifier(schema)}.${quoteIdentifier(table)}` : quoteIdentifier(table);
}

/**
 * The condition selecting the subject's rows of `table`, aliased `t<depth>`: the root compares its
 * subject column with the values in $1 (a text[]); a `via` table nests its parent's rows as a
 * subquery. `matchAsText` casts a non-text subject column, so any value (even `1; drop table`)
 * is compared as plain text instead of failing to parse as, say, an integer.
 */
export function subjectRowsCondition(config: SqlConnectorConfig, table: string, matchAsText: boolean, depth = 0): string {
  const alias = `t${depth}`;
  const entry = config.tables.find((candidate) => candidate.name === table);
  if (!entry) throw new Error(`table "${table}" is not configured`);
  if (!entry.via) {
    const column = `${alias}.${quoteIdentifier(config.subject.column)}`;
    return `${matchAsText ? `${column}::text` : column} = any($1::text[])`;
  }
  const parent = parseReference(entry.via.references);
  const parentAlias = `t${depth + 1}`;
  return (
    `${alias}.${quoteIdentifier(entry.via.column)} in (select ${parentAlias}.${quoteIdentifier(parent.column)} ` +
    `from ${qualifiedTable(config.schema, parent.table)} as ${parentAlias} ` +
    `where ${subjectRowsCondition(config, parent.table, matchAsText, depth + 1)})`
  );
}

/** The SQL expression that replaces `column` (of alias t0) under `strategy`. */
export function strategyExpression(column: string, strategy: AnonymizeStrategy): string {
  const value = `t0.${quoteIdentifier(column)}`;
  const asBytes = `convert_to(${value}::text, 'UTF8')`;
  switch (strategy) {
    case 'null':
      return 'null';
    // Redact and random keep an absent value absent rather than invent one.
    case 'redact':
      return `case when ${value} is null then null else '${REDACTED_TEXT}' end`;
    case 'random':
      return `case when ${value} is null then null else replace(gen_random_uuid()::text, '-', '') end`;
    case 'hmac':
      // HMAC-SHA256 from the built-in sha256, with the padded keys as $2 (inner) and $3 (outer):
      // no pgcrypto needed in a database we do not own, and the secret never enters SQL text.
      return `encode(sha256($3::bytea || sha256($2::bytea || ${asBytes})), 'hex')`;
    case 'year':
      return `date_trunc('year', ${value})`;
  }
}

/** The inner and outer padded keys of HMAC-SHA256 (RFC 2104) for `secret`. */
export function hmacPads(secret: string): { inner: Buffer; outer: Buffer } {
  const BLOCK = 64;
  let key = Buffer.from(secret, 'utf8');
  if (key.length > BLOCK) key = createHash('sha256').update(key).digest();
  const padded = Buffer.concat([key, Buffer.alloc(BLOCK - key.length)]);
  return {
    inner: Buffer.from(padded.map((byte) => byte ^ 0x36)),
    outer: Buffer.from(padded.map((byte) => byte ^ 0x5c)),
  };
}

/** The DELETE or UPDATE carrying out one planned step for the subject values `matchValues`. */
export function stepStatement(
  config: SqlConnectorConfig,
  step: PlannedStep,
  matchValues: string[],
  matchAsText: boolean,
): SqlStatement {
  const target = `${qualifiedTable(config.schema, step.table)} as t0`;
  const where = subjectRowsCondition(config, step.table, matchAsText);
  if (step.kind === 'delete') return { text: `delete from ${target} where ${where}`, values: [matchValues] };

  const assignments = Object.entries(step.fields).map(
    ([column, strategy]) => `${quoteIdentifier(column)} = ${strategyExpression(column, strategy)}`,
  );
  const values: unknown[] = [matchValues];
  if (Object.values(step.fields).includes('hmac')) {
    if (!config.hmacSecret) throw new Error('strategy "hmac" needs hmacSecret');
    const { inner, outer } = hmacPads(config.hmacSecret);
    values.push(inner, outer);
  }
  return { text: `update ${target} set ${assignments.join(', ')} where ${where}`, values };
}
