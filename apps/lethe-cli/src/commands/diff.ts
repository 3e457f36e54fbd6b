import { Pool, PoolClient } from 'pg';
import { PROJECTION_TABLES } from '@lethe/projection';
import { GuardedPgClient } from '@lethe/persistence';
import { Command, EXIT, Refusal, schemaName, UsageError } from '../cli';
import { cliSettings } from '../settings';
import { Difference, diffTable, TableCount } from '../projection-diff';

const DEFAULT_LIMIT = 10;

export const diff: Command = {
  spec: {
    name: 'diff',
    usage: 'lethe diff <schema-a> <schema-b> [--limit <n>] [--json]',
    positionals: ['schema-a', 'schema-b'],
    options: { limit: 'string', json: 'flag' },
    failedExit: EXIT.refused,
    help: [
      'Compares two projections of consent.log row by row: subject_state (the whole folded state),',
      'erasure_requests, erasure_steps and erasure_events, each by its key, every field but when a',
      "row was written. Names the first differences: table, key, which schema alone has the row or",
      "the first field that differs, and each side's value. Tables not derived from the log (keys,",
      'API keys, idempotency) and the stored positions are not compared: compare two projections',
      'that have folded the same log, such as a live one that caught up and a `lethe rebuild`.',
      'Each schema is read in one snapshot, through a cursor.',
      '',
      `  --limit <n>  differences listed (default ${DEFAULT_LIMIT}); all are counted`,
      '  --json       one JSON object on stdout',
      '',
      'Reads DATABASE_URL. Exit codes: 0 equal, 1 different, 2 bad usage or settings, 3 could not',
      'compare (a schema missing or not a projection, the database unreachable).',
    ].join('\n'),
  },

  async run(parsed, env, io) {
    const names = [schemaName(parsed.positionals[0], '<schema-a>'), schemaName(parsed.positionals[1], '<schema-b>')];
    if (names[0] === names[1]) throw new UsageError('<schema-a> and <schema-b> are the same schema');
    const limit = limitFrom(parsed.options.limit);
    const json = parsed.options.json === true;
    const pool = new Pool({ Client: GuardedPgClient, connectionString: cliSettings(env).databaseUrl, max: 2 });
    const clients: PoolClient[] = [];
    try {
      for (const name of names) {
        const client = await pool.connect();
        clients.push(client);
        await client.query('begin isolation level repeatable read read only');
        await requireProjection(client, name);
      }
      const sides = names.map((name, i) => ({ name, client: clients[i] }));
      const differences: Difference[] = [];
      let total = 0;
      const tables: Record<string, TableCount> = {};
      for (const table of PROJECTION_TABLES) {
        tables[table.name] = await diffTable(sides, table, (difference) => {
          total += 1;
          if (differences.length < limit) differences.push(difference);
        });
      }
      const equal = total === 0;
      if (json) io.out(JSON.stringify({ equal, a: names[0], b: names[1], differences: total, tables, first: differences }));
      else for (const line of report(names, equal, total, tables, differences)) io.out(line);
      return equal ? EXIT.ok : EXIT.failed;
    } finally {
      for (const client of clients) {
        await client.query('rollback').catch(() => undefined);
        client.release();
      }
      await pool.end();
    }
  },
};

function limitFrom(value: string | true | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  if (typeof value !== 'string' || !/^\d{1,6}$/.test(value)) throw new UsageError('--limit must be a whole number');
  return Number(value);
}

async function requireProjection(client: PoolClient, schema: string): Promise<void> {
  const { rows } = await client.query(`select table_name from information_schema.tables where table_schema = $1`, [schema]);
  const present = new Set(rows.map((row: { table_name: string }) => row.table_name));
  if (present.size === 0) throw new Refusal(`schema ${schema} does not exist or holds no tables`);
  const missing = PROJECTION_TABLES.find((table) => !present.has(table.name));
  if (missing) throw new Refusal(`schema ${schema} has no table ${missing.name}: it is not a Lethe projection`);
}

function report(names: string[], equal: boolean, total: number, tables: Record<string, TableCount>, shown: Difference[]): string[] {
  const counts = Object.entries(tables).map(([table, c]) => `${table} ${c.a === c.b ? c.a : `${c.a}/${c.b}`}`).join(', ');
  if (equal) return [`${names[0]} and ${names[1]} are equal (rows: ${counts})`];
  const lines = [`${names[0]} and ${names[1]} differ: ${total} row(s) (rows: ${counts})`];
  for (const d of shown) {
    const key = Object.entries(d.key).map(([column, value]) => `${column}=${String(value)}`).join(' ');
    lines.push(d.onlyIn ? `${d.table} ${key}: only in ${d.onlyIn}` : `${d.table} ${key}: ${d.field} is ${value(d.a)} in ${names[0]}, ${value(d.b)} in ${names[1]}`);
  }
  if (total > shown.length) lines.push(`… and ${total - shown.length} more (--limit)`);
  return lines;
}

const value = (v: unknown) => {
  const text = v === undefined ? 'absent' : JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};
