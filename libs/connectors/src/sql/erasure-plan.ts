import type { ErasureTarget } from '../connector';
import type { FieldStrategies, SqlConnectorConfig, SqlTableConfig, SubjectKey } from './sql-config';

/** One table's share of an erasure, decided before any SQL runs. */
export type PlannedStep =
  | { table: string; kind: 'delete' }
  | { table: string; kind: 'anonymize'; fields: FieldStrategies; legalHoldBasis: string | null };

/** `customers.id` → `{ table: 'customers', column: 'id' }`. */
export function parseReference(reference: string): { table: string; column: string } {
  const dot = reference.indexOf('.');
  return { table: reference.slice(0, dot), column: reference.slice(dot + 1) };
}

/** Each table's parent in the `via` graph; roots (and tables with a bad via) have none. */
export function parentOf(table: SqlTableConfig): string | null {
  return table.via ? parseReference(table.via.references).table : null;
}

/**
 * The first cycle in the `via` graph, as the table names walked (first name repeated at the end),
 * or null. Each table has at most one parent, so following parents either ends or loops.
 */
export function findCycle(tables: readonly SqlTableConfig[]): string[] | null {
  const parents = new Map(tables.map((table) => [table.name, parentOf(table)]));
  for (const start of parents.keys()) {
    const walked: string[] = [];
    for (let current: string | null = start; current !== null && parents.has(current); current = parents.get(current) ?? null) {
      const seen = walked.indexOf(current);
      if (seen >= 0) return [...walked.slice(seen), current];
      walked.push(current);
    }
  }
  return null;
}

/**
 * Tables ordered children first: a table comes before the table it references, so deleting in
 * this order never removes a parent whose children still need finding (or still hold its key
 * under a foreign key). Ties keep configuration order, so the order is stable. Expects no cycle.
 */
export function childrenFirst(tables: readonly SqlTableConfig[]): SqlTableConfig[] {
  const depth = new Map<string, number>();
  const byName = new Map(tables.map((table) => [table.name, table]));
  const depthOf = (table: SqlTableConfig): number => {
    const known = depth.get(table.name);
    if (known !== undefined) return known;
    const parent = byName.get(parentOf(table) ?? '');
    const value = parent ? depthOf(parent) + 1 : 0;
    depth.set(table.name, value);
    return value;
  };
  return tables
    .map((table, index) => ({ table, index, depth: depthOf(table) }))
    .sort((a, b) => b.depth - a.depth || a.index - b.index)
    .map(({ table }) => table);
}

/**
 * How a request treats the system: erase it (deleting what the tables say to delete), erase it
 * keeping transaction history (tables declared `whenKeepingHistory: anonymize` are anonymized
 * instead), or only anonymize (an opt-out mapped to `anonymize`: nothing is deleted).
 */
export type ErasureMode = 'erase' | 'erase-keeping-history' | 'anonymize-only';

export function modeOf(target: Pick<ErasureTarget, 'keepTransactionHistory' | 'reaction'>): ErasureMode {
  if (target.reaction?.action === 'anonymize') return 'anonymize-only';
  return target.keepTransactionHistory ? 'erase-keeping-history' : 'erase';
}

/**
 * The tables an anonymize-only plan could not treat: they declare no fields to anonymize (a plain
 * `action: delete`). A system with such tables cannot honour `onOptOut: anonymize`, and is
 * refused at start rather than deleting, or skipping, those rows.
 */
export function tablesWithoutAnonymization(config: SqlConnectorConfig): string[] {
  return config.tables.filter((table) => !table.legalHold && !table.fields).map((table) => table.name);
}

/**
 * What happens to each table for one request. A legal hold beats everything (rows are kept, only
 * its fields anonymized); keeping transaction history turns a delete into the declared anonymize;
 * anonymize-only anonymizes every table by its declared fields and deletes nothing. Returns null
 * for anonymize-only when a table declares no fields (see tablesWithoutAnonymization).
 */
export function planErasure(config: SqlConnectorConfig, mode: ErasureMode): PlannedStep[] | null {
  const steps = childrenFirst(config.tables).map((table): PlannedStep | null => {
    if (table.legalHold) {
      return { table: table.name, kind: 'anonymize', fields: table.legalHold.fields, legalHoldBasis: table.legalHold.basis };
    }
    if (mode === 'anonymize-only') return table.fields ? { table: table.name, kind: 'anonymize', fields: withoutLinks(table.name, table.fields, config), legalHoldBasis: null } : null;
    const anonymize = table.action === 'anonymize' || (mode === 'erase-keeping-history' && table.whenKeepingHistory === 'anonymize');
    return anonymize
      ? { table: table.name, kind: 'anonymize', fields: table.fields ?? {}, legalHoldBasis: null }
      : { table: table.name, kind: 'delete' };
  });
  return steps.every((step) => step !== null) ? (steps as PlannedStep[]) : null;
}

/**
 * `fields` without the columns that find the subject's rows: the subject column and both ends of
 * every `via`. An anonymize-only opt-out keeps them, so a later erasure still finds every row
 * (and deletes or anonymizes it fully) instead of finding none and reporting nothing to erase.
 */
function withoutLinks(table: string, fields: FieldStrategies, config: SqlConnectorConfig): FieldStrategies {
  const links = new Set<string>([`${config.subject.table}.${config.subject.column}`]);
  for (const other of config.tables) {
    if (!other.via) continue;
    links.add(`${other.name}.${other.via.column}`);
    links.add(other.via.references);
  }
  return Object.fromEntries(Object.entries(fields).filter(([column]) => !links.has(`${table}.${column}`)));
}

/** The outcome's action: the one kind every step shares, or `mixed`. */
export function overallAction(steps: readonly PlannedStep[]): string {
  const kinds = new Set(steps.map((step) => step.kind));
  return kinds.size === 1 ? [...kinds][0] : 'mixed';
}

/** `table.column` → strategy for every anonymizing step, as the outcome reports it. */
export function strategiesOf(steps: readonly PlannedStep[]): Record<string, string> {
  const strategies: Record<string, string> = {};
  for (const step of steps) {
    if (step.kind !== 'anonymize') continue;
    for (const [column, strategy] of Object.entries(step.fields)) strategies[`${step.table}.${column}`] = strategy;
  }
  return strategies;
}

/**
 * The values compared with the subject column: the subject id, or every identity of the
 * configured type (a person may have given two email addresses). None means the subject cannot be looked for.
 */
export function subjectValues(match: SubjectKey, target: Pick<ErasureTarget, 'subjectId' | 'identities'>): string[] {
  if (match === 'subject_id') return target.subjectId ? [target.subjectId] : [];
  const type = match.slice('identity:'.length);
  const values = target.identities.filter((identity) => identity.type === type && identity.value !== '');
  return [...new Set(values.map((identity) => identity.value))];
}

/**
 * Whether no two targets look for the same value (two requests of one subject, one e-mail address
 * given by two people): only then can they run set-wise with each row counted for the one target
 * that reaches it, as each would count it alone (docs/adr/0028).
 */
export function shareNoValue(match: SubjectKey, targets: readonly Pick<ErasureTarget, 'subjectId' | 'identities'>[]): boolean {
  const seen = new Set<string>();
  for (const target of targets) {
    for (const value of subjectValues(match, target)) {
      if (seen.has(value)) return false;
      seen.add(value);
    }
  }
  return true;
}
