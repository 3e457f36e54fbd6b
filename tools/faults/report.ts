/**
 * npm run faults:report: RELIABILITY.md's table from the results the fault suite wrote
 * (tools/faults/results/<scenario>.json, one per scenario, the latest run of each).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faultsStack, ROOT } from './env';
import type { ScenarioResult } from './scenario';

const FAULTS: Record<string, string> = {
  'leader-kill': 'leader of consent.log partition 0 SIGKILLed, restarted once writes succeed again',
  'broker-pause': 'leader of consent.log partition 0 SIGSTOPped for 20 s (past the 9 s broker and 10 s projector sessions), then SIGCONT',
  'registry-restart': 'schema registry stopped, started again 15 s later (it serves again once its start-up ends)',
  'api-kill': 'consent-api SIGKILLed mid-work, started again 5 s later',
  'projector-kill': 'projector SIGKILLed mid-work, started again 5 s later',
  'worker-kill': 'erasure worker (both systems) SIGKILLed mid-work, started again 5 s later',
  'postgres-connections': 'every PostgreSQL connection of the apps and the shop connector terminated, again every 0.5 s for 10 s',
  'redis-restart': 'the session cache\'s Redis SIGKILLed, started again 3 s later on its append-only file',
  'third-party-down': 'the marketing processor answers 503 for 15 s (several retries meet it down), then confirms each request twice, up to 1.5 s late, and a stale in_progress after',
};

const seconds = (ms: number) => (ms / 1000).toFixed(1);

const { resultsDir } = faultsStack();
const results = readdirSync(resultsDir)
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as ScenarioResult)
  .sort((a, b) => a.scenario.localeCompare(b.scenario));

const rows = results.map(
  (r) =>
    `| ${r.scenario} | ${FAULTS[r.scenario] ?? ''} | ${r.rate}/s | ${r.requests} | ${r.accepted} | ${r.factsLost} | ${r.factsDoubled} | ${r.recordsRewritten} | ${r.sendsCompleted ?? 'not counted'} | ${seconds(r.recoverMs)} | ${seconds(r.convergeMs)} | ${r.passed ? 'all pass' : r.invariants.filter((i) => !i.pass).map((i) => `FAIL ${i.name}`).join('; ')} | ${r.date.slice(0, 10)} |`,
);
const table = [
  '| scenario | fault | load | requests | accepted | facts lost | facts doubled | records written twice (one event id) | sends completed by a resend | writes succeed again after (s) | converged after (s) | invariants | date |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');

const file = join(ROOT, 'RELIABILITY.md');
const text = readFileSync(file, 'utf8');
const start = text.indexOf('<!-- results -->');
const end = text.indexOf('<!-- /results -->');
if (start === -1 || end === -1) throw new Error('RELIABILITY.md has no <!-- results --> … <!-- /results --> block');
writeFileSync(file, `${text.slice(0, start)}<!-- results -->\n${table}\n${text.slice(end)}`);
console.log(table);
