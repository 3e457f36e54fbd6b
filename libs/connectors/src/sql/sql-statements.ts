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
 * One value to look for and the target it belongs to: the statements of several targets run
 * together, and each row they touch is counted for the target whose value found it.
 */
export interface OwnedValue {
  value: string;
  /** The target's index in its batch. */
  owner: number;
}

/**
 * The tables joined to reach the subject's rows of `table` (aliased `t0`, its parents `t1`, `t2`,
 * … up to the root) and the conditions joining them: the root compares its subject column with
 * `v.value`, `v` being the $1/$2 values and owners unnested. Plain equi-joins, so the planner
 * takes each table's index. `matchAsText` casts a non-text subject column, so any value (even
 * `1; drop table`) is compared as plain text instead of failing to parse as, say, an integer.
 */
export function subjectRowsJoin(config: SqlConnectorConfig, table: string, matchAsText: boolean): { from: string[]; where: string[] } {
  const from: string[] = [];
  const where: string[] = [];
  let entry = config.tables.find((candidate) => candidate.name === table);
  for (let depth = 0; ; depth++) {
    if (!entry) throw new Error(`table "${table}" is not configured`);
    const alias = `t${depth}`;
    if (!entry.via) {
      const column = `${alias}.${quoteIdentifier(config.subject.column)}`;
      where.push(`${matchAsText ? `${column}::text` : column} = v.value`);
      break;
    }
    const parent = parseReference(entry.via.references);
    const parentAlias = `t${depth + 1}`;
    from.push(`${qualifiedTable(config.schema, parent.table)} as ${parentAlias}`);
    where.push(`${alias}.${quoteIdentifier(entry.via.column)} = ${parentAlias}.${quoteIdentifier(parent.column)}`);
    entry = config.tables.find((candidate) => candidate.name === parent.table);
  }
  from.push('unnest($1::text[], $2::int[]) as v(value, owner)');
  return { from, where };
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
      // HMAC-SHA256 from the built-in sha256, with the padded keys as $3 (inner) and $4 (outer):
      // no pgcrypto needed in a database we do not own, and the secret never enters SQL text.
      return `encode(sha256($4::bytea || sha256($3::bytea || ${asBytes})), 'hex')`;
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

/**
 * The DELETE or UPDATE carrying out one planned step for the values `matches` (one target's, or
 * several targets' at once), returning the owner of each row it deleted or changed. A row two
 * values reach is changed once and counted for one of their owners.
 */
export function stepStatement(config: SqlConnectorConfig, step: PlannedStep, matches: readonly OwnedValue[], matchAsText: boolean): SqlStatement {
  const target = `${qualifiedTable(config.schema, step.table)} as t0`;
  const { from, where } = subjectRowsJoin(config, step.table, matchAsText);
  const values: unknown[] = [matches.map((match) => match.value), matches.map((match) => match.owner)];
  const condition = `where ${where.join(' and ')} returning v.owner`;
  if (step.kind === 'delete') return { text: `delete from ${target} using ${from.join(', ')} ${condition}`, values };

  const assignments = Object.entries(step.fields).map(
    ([column, strategy]) => `${quoteIdentifier(column)} = ${strategyExpression(column, strategy)}`,
  );
  if (Object.values(step.fields).includes('hmac')) {
    if (!config.hmacSecret) throw new Error('strategy "hmac" needs hmacSecret');
    const { inner, outer } = hmacPads(config.hmacSecret);
    values.push(inner, outer);
  }
  return { text: `update ${target} set ${assignments.join(', ')} from ${from.join(', ')} ${condition}`, values };
}
