import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, rate } from '../common';

/**
 * The PostgreSQL ceiling of the projector: the same number of row writes, of the rows the
 * projector stored (the same subjects, states and width), done the fastest plain way, by psql
 * with no Lethe code: per round, COPY one row per subject into a staging table and one
 * insert ... on conflict do update into a copy of subject_state (same fillfactor, same
 * synchronous_commit = off), one transaction per round. `rowWrites` / subjects rounds.
 */
export function postgresCeiling(databaseUrl: string, schema: string, rowWrites: number): { rowsPerSecond: number; meanRowBytes: number } {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-pg-ceiling-'));
  try {
    const rows = join(dir, 'rows.copy');
    const stats = psql(databaseUrl, `select count(*), round(avg(pg_column_size(s.*))) from "${schema}".subject_state s`).split('|').map(Number);
    const [subjects, meanRowBytes] = stats;
    psql(databaseUrl, `\\copy (select subject_id, state, version from "${schema}".subject_state) to '${rows}'`);
    const rounds = Math.max(1, Math.round(rowWrites / subjects));
    const target = `"${schema}".ceiling_state`;
    psql(databaseUrl, `create table ${target} (like "${schema}".subject_state including all) with (fillfactor = 70)`);
    const round = [
      'begin;',
      'set local synchronous_commit to off;',
      'create temp table staging (subject_id text, state jsonb, version integer) on commit drop;',
      `\\copy staging from '${rows}'`,
      `insert into ${target} (subject_id, state, version) select subject_id, state, version from staging`,
      '  on conflict (subject_id) do update set state = excluded.state, version = excluded.version, updated_at = now();',
      'commit;',
    ].join('\n');
    const script = join(dir, 'ceiling.sql');
    writeFileSync(script, Array.from({ length: rounds }, () => round).join('\n'));
    const started = Date.now();
    psql(databaseUrl, null, script);
    const elapsed = Date.now() - started;
    const rowsPerSecond = rate(rounds * subjects, elapsed);
    log(`postgres ceiling: ${rounds} rounds of COPY + one merge of ${subjects} rows (${meanRowBytes} bytes each on average) = ${rounds * subjects} row writes in ${(elapsed / 1000).toFixed(1)} s, ${rowsPerSecond} rows/s`);
    return { rowsPerSecond, meanRowBytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function psql(databaseUrl: string, command: string | null, file?: string): string {
  const args = [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qAt', ...(file ? ['-f', file] : ['-c', command ?? ''])];
  const run = spawnSync('psql', args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`psql failed: ${run.stderr.trim()}`);
  return run.stdout.trim();
}
