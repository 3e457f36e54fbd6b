import type { ClientBase } from 'pg';
import { ConnectorError } from '../connector';
import { parseReference } from './erasure-plan';
import type { SqlConnectorConfig } from './sql-config';

/** Text types compare with the text values looked for directly; others are cast, see subjectRowsJoin. */
const TEXT_TYPES = new Set(['text', 'character varying', 'character', 'name']);

/** Every table and the columns the configuration reads or writes in it. */
export function requiredColumns(config: SqlConnectorConfig): Map<string, Set<string>> {
  const required = new Map(config.tables.map((table) => [table.name, new Set<string>()]));
  const need = (table: string, column: string) => required.get(table)?.add(column);
  need(config.subject.table, config.subject.column);
  for (const table of config.tables) {
    if (table.via) {
      need(table.name, table.via.column);
      const parent = parseReference(table.via.references);
      need(parent.table, parent.column);
    }
    for (const column of Object.keys({ ...table.fields, ...table.legalHold?.fields })) need(table.name, column);
  }
  return required;
}

/** What the database says about the configured tables, once it matches the configuration. */
export interface CheckedSchema {
  /** Whether the subject column is of a text type (compared directly) or not (compared as text). */
  subjectColumnIsText: boolean;
  /**
   * Whether every `via` references a column with a unique index of its own: then each row has one
   * parent, so one subject at most, and several subjects' steps can run set-wise with each row
   * counted for its subject (docs/adr/0028). Otherwise steps run one by one.
   */
  viaKeysUnique: boolean;
}

/**
 * Confirms every configured table and column exists, in `schema` or else the connection's current
 * schema, and refuses (not retryable: the configuration needs fixing) naming all that is missing.
 */
export async function checkSchema(client: ClientBase, config: SqlConnectorConfig): Promise<CheckedSchema> {
  const required = requiredColumns(config);
  const { rows } = await client.query<{ table_name: string; column_name: string; data_type: string }>(
    `select table_name, column_name, data_type from information_schema.columns
      where table_schema = coalesce($1, current_schema()) and table_name = any($2::text[])`,
    [config.schema ?? null, [...required.keys()]],
  );
  const found = new Map<string, Map<string, string>>();
  for (const row of rows) {
    const columns = found.get(row.table_name) ?? new Map<string, string>();
    columns.set(row.column_name, row.data_type);
    found.set(row.table_name, columns);
  }

  const missing: string[] = [];
  for (const [table, columns] of required) {
    const existing = found.get(table);
    if (!existing) {
      missing.push(`table "${table}"`);
      continue;
    }
    for (const column of columns) if (!existing.has(column)) missing.push(`column "${table}.${column}"`);
  }
  if (missing.length > 0) {
    const where = config.schema ? `schema "${config.schema}"` : 'the current schema';
    throw new ConnectorError(`sql connector "${config.system}": missing in ${where}: ${missing.join(', ')}`, false);
  }
  const subjectType = found.get(config.subject.table)?.get(config.subject.column) ?? '';
  return { subjectColumnIsText: TEXT_TYPES.has(subjectType), viaKeysUnique: await viaKeysUnique(client, config) };
}

async function viaKeysUnique(client: ClientBase, config: SqlConnectorConfig): Promise<boolean> {
  const referenced = config.tables.flatMap((table) => (table.via ? [parseReference(table.via.references)] : []));
  if (referenced.length === 0) return true;
  // Unique indexes on exactly one column, not partial: the primary key and unique constraints among them.
  const { rows } = await client.query<{ table_name: string; column_name: string }>(
    `select c.relname as table_name, a.attname as column_name
       from pg_index i
       join pg_class c on c.oid = i.indrelid
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
      where i.indisunique and i.indnkeyatts = 1 and i.indpred is null
        and n.nspname = coalesce($1, current_schema()) and c.relname = any($2::text[])`,
    [config.schema ?? null, [...new Set(referenced.map((reference) => reference.table))]],
  );
  const unique = new Set(rows.map((row) => `${row.table_name}.${row.column_name}`));
  return referenced.every((reference) => unique.has(`${reference.table}.${reference.column}`));
}
