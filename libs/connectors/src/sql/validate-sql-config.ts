import { IDENTITY_TYPES } from '@lethe/identity-vault';
import { ConnectorError } from '../connector';
import { findCycle } from './erasure-plan';
import {
  ANONYMIZE_STRATEGIES,
  IDENTIFIER,
  AnonymizeStrategy,
  FieldStrategies,
  MAX_STEPS_PER_TRANSACTION,
  SqlConnectorConfig,
  SqlTableConfig,
  SubjectKey,
} from './sql-config';

/** A configuration the connector refuses; each issue starts with the key path it is about. */
export class SqlConfigError extends ConnectorError {
  constructor(readonly issues: string[]) {
    super(`invalid sql connector configuration: ${issues.join('; ')}`, false);
  }
}

type Raw = Record<string, unknown>;

const TOP_KEYS = ['system', 'url', 'schema', 'hmacSecret', 'subject', 'tables', 'connectTimeoutMs', 'statementTimeoutMs', 'poolSize', 'stepsPerTransaction'];
const TABLE_KEYS = ['name', 'root', 'via', 'action', 'fields', 'whenKeepingHistory', 'legalHold'];
const SUBJECT_KEYS: readonly string[] = ['subject_id', ...IDENTITY_TYPES.map((type) => `identity:${type}`)];

/**
 * Checks `raw` against `SqlConnectorConfig` and returns it normalized (a YAML `null` strategy
 * becomes "null"). Collects every issue before refusing, so one run shows all of them.
 */
export function validateSqlConfig(raw: unknown): SqlConnectorConfig {
  const issues: string[] = [];
  const fail = (path: string, problem: string) => issues.push(`${path}: ${problem}`);
  if (!isObject(raw)) throw new SqlConfigError(['(root): must be an object']);

  unknownKeys(raw, TOP_KEYS, '', fail);
  const system = nonEmptyString(raw.system, 'system', fail);
  const url = nonEmptyString(raw.url, 'url', fail);
  if (url && !/^postgres(ql)?:\/\//.test(url)) fail('url', 'must be a postgres:// or postgresql:// URL');
  const schema = raw.schema === undefined ? undefined : identifier(raw.schema, 'schema', fail);
  const hmacSecret = raw.hmacSecret === undefined ? undefined : nonEmptyString(raw.hmacSecret, 'hmacSecret', fail);
  for (const key of ['connectTimeoutMs', 'statementTimeoutMs', 'poolSize'] as const) {
    const value = raw[key];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) fail(key, 'must be a positive integer');
  }
  const { stepsPerTransaction } = raw;
  if (stepsPerTransaction !== undefined && !(Number.isInteger(stepsPerTransaction) && (stepsPerTransaction as number) >= 1 && (stepsPerTransaction as number) <= MAX_STEPS_PER_TRANSACTION)) {
    fail('stepsPerTransaction', `must be an integer from 1 to ${MAX_STEPS_PER_TRANSACTION}`);
  }

  const tables = Array.isArray(raw.tables) ? raw.tables.map((table, i) => validateTable(table, `tables[${i}]`, fail)) : [];
  if (!Array.isArray(raw.tables) || raw.tables.length === 0) fail('tables', 'must be a non-empty list');
  checkGraph(tables, fail);

  const subject = isObject(raw.subject) ? raw.subject : {};
  if (!isObject(raw.subject)) fail('subject', 'must be an object { table, column, match }');
  else unknownKeys(subject, ['table', 'column', 'match'], 'subject', fail);
  const subjectTable = identifier(subject.table, 'subject.table', fail);
  const subjectColumn = identifier(subject.column, 'subject.column', fail);
  const root = tables.find((table) => table.root);
  if (subjectTable && root && root.name !== subjectTable) fail('subject.table', `must be the root table "${root.name}"`);
  if (typeof subject.match !== 'string' || !SUBJECT_KEYS.includes(subject.match)) {
    fail('subject.match', `must be one of ${SUBJECT_KEYS.join(', ')}`);
  }

  tables.forEach((table, i) => {
    const groups = [[`tables[${i}].fields`, table.fields], [`tables[${i}].legalHold.fields`, table.legalHold?.fields]] as const;
    for (const [path, fields] of groups) {
      for (const [column, strategy] of Object.entries(fields ?? {})) {
        if (strategy === 'hmac' && !hmacSecret) fail(`${path}.${column}`, 'strategy "hmac" needs hmacSecret');
      }
    }
  });

  if (issues.length > 0) throw new SqlConfigError(issues);
  return {
    ...(raw as object),
    system: system as string,
    url: url as string,
    schema,
    hmacSecret,
    subject: { table: subjectTable as string, column: subjectColumn as string, match: subject.match as SubjectKey },
    tables,
  } as SqlConnectorConfig;
}

function validateTable(raw: unknown, path: string, fail: (path: string, problem: string) => void): SqlTableConfig {
  if (!isObject(raw)) {
    fail(path, 'must be an object');
    return { name: '' };
  }
  unknownKeys(raw, TABLE_KEYS, path, fail);
  const table: SqlTableConfig = { name: identifier(raw.name, `${path}.name`, fail) ?? '' };
  if (raw.root !== undefined && raw.root !== true) fail(`${path}.root`, 'must be true when given');
  if ((raw.root === true) === (raw.via !== undefined)) fail(path, 'needs exactly one of root: true or via');
  if (raw.root === true) table.root = true;
  if (raw.via !== undefined) {
    const via = isObject(raw.via) ? raw.via : {};
    if (!isObject(raw.via)) fail(`${path}.via`, 'must be an object { column, references }');
    else unknownKeys(via, ['column', 'references'], `${path}.via`, fail);
    const column = identifier(via.column, `${path}.via.column`, fail) ?? '';
    const references = typeof via.references === 'string' ? via.references : '';
    const [parent, parentColumn, ...rest] = references.split('.');
    if (rest.length > 0 || !IDENTIFIER.test(parent ?? '') || !IDENTIFIER.test(parentColumn ?? '')) {
      fail(`${path}.via.references`, 'must be "<table>.<column>" of lowercase identifiers');
    }
    table.via = { column, references };
  }

  if (raw.legalHold !== undefined) {
    for (const key of ['action', 'fields', 'whenKeepingHistory']) {
      if (raw[key] !== undefined) fail(`${path}.${key}`, 'not allowed with legalHold (held rows are only anonymized, by legalHold.fields)');
    }
    const hold = isObject(raw.legalHold) ? raw.legalHold : {};
    if (!isObject(raw.legalHold)) fail(`${path}.legalHold`, 'must be an object { basis, fields }');
    else unknownKeys(hold, ['basis', 'fields'], `${path}.legalHold`, fail);
    const basis = nonEmptyString(hold.basis, `${path}.legalHold.basis`, fail) ?? '';
    table.legalHold = { basis, fields: fieldStrategies(hold.fields, `${path}.legalHold.fields`, fail) };
    return table;
  }

  if (raw.action !== 'delete' && raw.action !== 'anonymize') fail(`${path}.action`, 'must be "delete" or "anonymize"');
  else table.action = raw.action;
  if (raw.whenKeepingHistory !== undefined) {
    if (raw.whenKeepingHistory !== 'anonymize') fail(`${path}.whenKeepingHistory`, 'must be "anonymize"');
    else if (raw.action !== 'delete') fail(`${path}.whenKeepingHistory`, 'only applies to action "delete"');
    else table.whenKeepingHistory = 'anonymize';
  }
  const needsFields = raw.action === 'anonymize' || raw.whenKeepingHistory === 'anonymize';
  if (needsFields) table.fields = fieldStrategies(raw.fields, `${path}.fields`, fail);
  else if (raw.fields !== undefined) fail(`${path}.fields`, 'only used by action "anonymize" or whenKeepingHistory');
  return table;
}

/** Names are unique, one root, every `via` reaches a listed table, and the graph has no cycle. */
function checkGraph(tables: SqlTableConfig[], fail: (path: string, problem: string) => void): void {
  const index = new Map<string, number>();
  tables.forEach((table, i) => {
    if (table.name && index.has(table.name)) fail(`tables[${i}].name`, `duplicate table "${table.name}"`);
    else if (table.name) index.set(table.name, i);
  });
  const roots = tables.filter((table) => table.root).length;
  if (tables.length > 0 && roots !== 1) fail('tables', `needs exactly one root table, found ${roots}`);
  tables.forEach((table, i) => {
    const parent = table.via?.references.split('.')[0];
    if (!parent || !IDENTIFIER.test(parent)) return;
    if (!index.has(parent)) fail(`tables[${i}].via.references`, `unknown table "${parent}"`);
  });
  const cycle = findCycle(tables.filter((table) => table.name));
  if (cycle) fail(`tables[${index.get(cycle[0])}].via.references`, `cycle ${cycle.join(' → ')}`);
}

function fieldStrategies(raw: unknown, path: string, fail: (path: string, problem: string) => void): FieldStrategies {
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    fail(path, 'must map at least one column to a strategy');
    return {};
  }
  const fields: FieldStrategies = {};
  for (const [column, value] of Object.entries(raw)) {
    if (!IDENTIFIER.test(column)) fail(`${path}.${column}`, `bad column name (must match ${IDENTIFIER})`);
    const strategy = value === null ? 'null' : value;
    if (strategy === 'sha256') {
      // Accepted once; refused now rather than certified as anonymization (ADR 0009).
      fail(`${path}.${column}`, `strategy "sha256" is not accepted: an unkeyed hash of a guessable value (an e-mail, a name) is reversed by hashing candidates, and is a pseudonym at best; use "hmac", keyed by hmacSecret`);
    } else if (typeof strategy !== 'string' || !ANONYMIZE_STRATEGIES.includes(strategy as AnonymizeStrategy)) {
      fail(`${path}.${column}`, `unknown strategy ${JSON.stringify(value)} (one of ${ANONYMIZE_STRATEGIES.join(', ')})`);
    } else fields[column] = strategy as AnonymizeStrategy;
  }
  return fields;
}

function identifier(value: unknown, path: string, fail: (path: string, problem: string) => void): string | undefined {
  if (typeof value === 'string' && IDENTIFIER.test(value)) return value;
  fail(path, `must be an identifier matching ${IDENTIFIER}`);
  return undefined;
}

function nonEmptyString(value: unknown, path: string, fail: (path: string, problem: string) => void): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  fail(path, 'must be a non-empty string');
  return undefined;
}

function unknownKeys(raw: Raw, known: readonly string[], path: string, fail: (path: string, problem: string) => void): void {
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) fail(path ? `${path}.${key}` : key, 'unknown key');
  }
}

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
