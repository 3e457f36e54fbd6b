import { PoolClient } from 'pg';
import { canonicalJson } from '@lethe/consent-domain';
import { ProjectionTable } from '@lethe/projection';

type Row = Record<string, unknown>;

export interface Difference {
  table: string;
  key: Record<string, unknown>;
  /** The schema that alone has the row, when only one has it. */
  onlyIn?: string;
  /** The first field that differs (a path into jsonb columns), with each side's value. */
  field?: string;
  a?: unknown;
  b?: unknown;
}

export interface TableCount {
  a: number;
  b: number;
  different: number;
}

const PAGE = 2_000;

/** One schema's rows of a table in key order (byte order, as "C" collation), read through a cursor. */
async function* rowsOf(client: PoolClient, schema: string, table: ProjectionTable): AsyncGenerator<{ k: string; row: Row }> {
  const cursor = `lethe_diff_${table.name}`;
  const key = table.key.map((column) => `"${column}"::text`).join(', ');
  const ignored = table.ignored.map((column) => ` - '${column}'`).join('');
  await client.query(`declare ${cursor} no scroll cursor for select concat_ws(E'\\x1f', ${key}) collate "C" as k, to_jsonb(t)${ignored} as row from "${schema}"."${table.name}" t order by 1`);
  for (;;) {
    const { rows } = await client.query(`fetch ${PAGE} from ${cursor}`);
    for (const row of rows) yield row as { k: string; row: Row };
    if (rows.length < PAGE) break;
  }
  await client.query(`close ${cursor}`);
}

const byteOrder = (x: string, y: string) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'));

/**
 * Compares one table of two schemas row by row, as a merge of both in key order: memory stays
 * one page per side however large the projection. Calls `found` for each difference.
 */
export async function diffTable(sides: { name: string; client: PoolClient }[], table: ProjectionTable, found: (difference: Difference) => void): Promise<TableCount> {
  const [a, b] = sides.map((side) => rowsOf(side.client, side.name, table));
  const count: TableCount = { a: 0, b: 0, different: 0 };
  const keyOf = (row: Row) => Object.fromEntries(table.key.map((column) => [column, row[column]]));
  let left = await a.next();
  let right = await b.next();
  while (!left.done || !right.done) {
    const order = left.done ? 1 : right.done ? -1 : byteOrder(left.value.k, right.value.k);
    if (order < 0 && !left.done) {
      found({ table: table.name, key: keyOf(left.value.row), onlyIn: sides[0].name });
      count.a += 1;
      count.different += 1;
      left = await a.next();
    } else if (order > 0 && !right.done) {
      found({ table: table.name, key: keyOf(right.value.row), onlyIn: sides[1].name });
      count.b += 1;
      count.different += 1;
      right = await b.next();
    } else if (!left.done && !right.done) {
      const field = firstDifference(left.value.row, right.value.row, '');
      if (field) {
        found({ table: table.name, key: keyOf(left.value.row), ...field });
        count.different += 1;
      }
      count.a += 1;
      count.b += 1;
      [left, right] = await Promise.all([a.next(), b.next()]);
    }
  }
  return count;
}

/** The path of the first field (in sorted key order, depth first) where two JSON values differ. */
export function firstDifference(a: unknown, b: unknown, path: string): { field: string; a: unknown; b: unknown } | undefined {
  if (canonicalJson(a) === canonicalJson(b)) return undefined;
  const bothObjects = isObject(a) && isObject(b);
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  if (bothArrays && a.length === b.length) {
    for (let i = 0; i < a.length; i += 1) {
      const inner = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (inner) return inner;
    }
  }
  if (bothObjects) {
    for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const inner = firstDifference(a[name], b[name], path ? `${path}.${name}` : name);
      if (inner) return inner;
    }
  }
  return { field: path, a, b };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
