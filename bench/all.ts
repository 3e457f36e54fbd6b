/**
 * `npm run bench [-- --quick]`: every benchmark, one after the other, each on a stack of its own
 * (bench/run.sh) and each measuring its ceilings before its own figures in the same run. Prints one
 * table (figure, ceiling, ratio) and the peak RSS of every process, appends both with the date and
 * the machine to BENCHMARKS.md, and writes them to bench/results/latest.json for scripts.
 * --quick runs smaller sizes (a developer's check in a few minutes; not for BENCHMARKS.md's tables).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Figure } from './common';

const root = resolve(__dirname, '..');
const quick = process.argv.includes('--quick');
const unknown = process.argv.slice(2).filter((arg) => arg !== '--quick');
if (unknown.length > 0) {
  console.error(`npm run bench: unknown argument${unknown.length === 1 ? '' : 's'} (only --quick is understood)`);
  process.exit(2);
}

/** Each benchmark with its arguments (see the usage at the top of each bench.ts). */
const PLAN: [name: string, full: string[], quick: string[]][] = [
  ['api', ['20', '1000', '50'], ['5', '500', '50']],
  ['projector', ['1000000', '300'], ['100000', '300']],
  // The same with two projector processes sharing the partitions: what the second core adds.
  ['projector', ['1000000', '300', '2'], ['100000', '300', '2']],
  ['replay', ['1000000', '300'], ['100000', '300']],
  ['erasure-worker', ['20000'], ['2000']],
  ['guard', ['1000000', '500', '30', '100'], ['100000', '200', '10', '50']],
  ['e2e', ['500', '60', '20'], ['100', '10', '20']],
];

interface Collected {
  figures: (Figure & { benchmark: string })[];
  rss: { benchmark: string; process: string; mib: number }[];
  failed: string[];
}

function runAll(): Collected {
  const dir = mkdtempSync(join(tmpdir(), 'lethe-bench-'));
  const collected: Collected = { figures: [], rss: [], failed: [] };
  try {
    for (const [index, [name, full, small]] of PLAN.entries()) {
      const file = join(dir, `${index}-${name}.jsonl`);
      const args = quick ? small : full;
      console.log(`\n== bench ${name} ${args.join(' ')}`);
      const started = Date.now();
      const run = spawnSync('bash', [join(root, 'bench/run.sh'), name, ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, LETHE_BENCH_FIGURES: file } });
      console.log(`== bench ${name}: ${run.status === 0 ? 'done' : `FAILED (exit ${run.status ?? run.signal})`} in ${Math.round((Date.now() - started) / 1000)} s`);
      if (run.status !== 0) collected.failed.push(name);
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { figure?: Figure; rss?: { process: string; mib: number } };
        if (entry.figure) collected.figures.push({ benchmark: name, ...entry.figure });
        if (entry.rss) collected.rss.push({ benchmark: name, ...entry.rss });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return collected;
}

const number = (value: number) => (Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 1 }));

function tables({ figures, rss }: Collected): string[] {
  return [
    '| figure | value | ceiling (same run) | ceiling value | ratio |',
    '| --- | --- | --- | --- | --- |',
    ...figures.map((f) => `| ${f.name} | ${number(f.value)} ${f.unit} | ${f.ceilingName} | ${number(f.ceilingValue)} ${f.unit} | ${f.ratio.toFixed(3)} |`),
    '',
    '| process | peak RSS |',
    '| --- | --- |',
    ...rss.map((r) => `| ${r.process} | ${number(r.mib)} MiB |`),
  ];
}

function main(): void {
  const date = new Date().toISOString().slice(0, 10);
  const machine = `${cpus().length} vCPU (${cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}, load average ${loadavg()[0].toFixed(1)} at start`;
  const collected = runAll();
  const lines = tables(collected);
  console.log(`\n${lines.join('\n')}`);
  if (collected.failed.length > 0) console.log(`\nfailed: ${collected.failed.join(', ')} (their figures are missing above)`);

  mkdirSync(join(root, 'bench/results'), { recursive: true });
  const results = { date, machine, quick, failed: collected.failed, figures: collected.figures, peakRss: collected.rss };
  writeFileSync(join(root, 'bench/results/latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  if (!quick) {
    const heading = `\n### ${date}: npm run bench\n\nMachine: ${machine}.${collected.failed.length ? ` Failed: ${collected.failed.join(', ')}.` : ''}\n\n`;
    appendFileSync(join(root, 'BENCHMARKS.md'), `${heading}${lines.join('\n')}\n`);
  }
  console.log(`\nwrote bench/results/latest.json${quick ? ' (--quick: BENCHMARKS.md left as it is)' : ' and appended the tables to BENCHMARKS.md'}`);
  process.exitCode = collected.failed.length > 0 ? 1 : 0;
}

main();
