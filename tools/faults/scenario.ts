import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SubjectState } from '@lethe/consent-domain';
import { topicsFor, TopicNames } from '@lethe/contracts';
import { waitFor } from '@lethe/testing';
import { Cluster } from './cluster';
import { faultsStack } from './env';
import { checkInvariants, formatInvariants, Invariant } from './invariants';
import { Lethe, LetheOptions } from './lethe';
import { RedisServer, suiteRedis } from './redis-server';
import { seedSubjects } from './system-data';
import { erasureSubjects, Workload } from './workload';

/** What a scenario's fault sees: the cluster, the Lethe under load, its topics, and `mark` to note when things happened. */
export interface FaultContext {
  cluster: Cluster;
  /** The suite's Redis, which holds the session cache. */
  redis: RedisServer;
  lethe: Lethe;
  workload: Workload;
  topics: TopicNames;
  /** Notes a moment of the fault (e.g. 'killed', 'restarted'), kept in the results. */
  mark: (label: string) => void;
  /** Waits while the workload runs on. */
  sleep: (ms: number) => Promise<void>;
  /** Waits (up to `timeoutMs`) until new writes succeed again at their first attempt, marks it `writes succeed`, and returns the time since the fault began. */
  writesSucceed: (timeoutMs: number) => Promise<number>;
}

export interface ScenarioOptions {
  /** Requests per second (open loop); default 25. */
  rate?: number;
  /** Load before the fault, and after it returned; default 5 s each. */
  warmupMs?: number;
  cooldownMs?: number;
  /** Injects the fault and undoes it; the workload runs throughout. */
  fault: (context: FaultContext) => Promise<void>;
  /** Lethe's settings, a third-party processor, a retry policy. */
  lethe?: LetheOptions;
}

export interface ScenarioResult {
  scenario: string;
  date: string;
  rate: number;
  /** Requests sent, and how many ended 2xx with an event (accepted). */
  requests: number;
  accepted: number;
  /** Requests whose first attempt got a 5xx, a timeout or no connection (then retried). */
  retried: number;
  /** Accepted facts missing from the log or the projection, and applied more than once. */
  factsLost: number;
  factsDoubled: number;
  /** Retried writes on consent.log twice under one event id: the first attempt landed after its 503 (applied once). */
  recordsRewritten: number;
  /** Sends kafkajs answered without some partition's records, completed by sending those again (docs/adr/0024), as the apps logged them. */
  sendsCompleted: number;
  /** From the fault until clients' writes succeeded again: the scenario's `writes succeed` mark, else the first 2xx after the last failed attempt (0: no client saw an error). */
  recoverMs: number;
  /** From the fault until every accepted fact was projected and every erasure closed. */
  convergeMs: number;
  marks: Record<string, number>;
  invariants: Invariant[];
  passed: boolean;
}

/**
 * A workload running → the fault → recovery → the invariants. Starts a Lethe of its own on the
 * suite's cluster, drives the mixed workload at a fixed rate, runs `fault`, lets every retry
 * converge and the consumers catch up, then checks. Writes the result to the results folder as
 * `<scenario>.json`.
 */
export async function runScenario(scenario: string, options: ScenarioOptions): Promise<ScenarioResult> {
  const rate = options.rate ?? 25;
  const cluster = new Cluster();
  const lethe = await Lethe.start(options.lethe);
  const runId = lethe.prefix.split('.')[1];
  const workload = new Workload({ apiUrl: lethe.apiUrl, apiKey: lethe.apiKey, rate, runId });
  const stack = faultsStack();
  const redis = suiteRedis(stack);
  const topics = topicsFor(lethe.prefix);
  const marks: Record<string, number> = {};
  const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
  let faultAt = 0;
  let passed = false;
  try {
    // Data in both systems for every erasure of the first three minutes (a tenth of the requests),
    // so the checker can see that a completed erasure left nothing behind. Inside the try: a
    // failed seeding must still stop the apps.
    await seedSubjects(lethe.pool, lethe.data, erasureSubjects(runId, Math.ceil((rate * 180) / 10)));
    workload.start();
    await sleep(options.warmupMs ?? 5_000);
    faultAt = Date.now();
    const mark = (label: string) => void (marks[label] ??= Date.now() - faultAt);
    const writesSucceed = async (timeoutMs: number) => {
      const since = Date.now();
      await workload.writesSucceed(since, timeoutMs);
      mark('writes succeed');
      return marks['writes succeed'];
    };
    await options.fault({ cluster, redis, lethe, workload, topics, mark, sleep, writesSucceed });
    mark('fault over');
    // Every replica back in sync, so the next scenario starts on a whole cluster.
    await waitFor(() => cluster.inSync(Object.values(topics)), { description: 'every replica of Lethe\'s topics in sync again', timeoutMs: 120_000, intervalMs: 500 });
    mark('replicas in sync');
    await sleep(options.cooldownMs ?? 5_000);
    const unsettled = await workload.settle();
    if (unsettled.length > 0) console.log(`[faults] ${scenario}: ${unsettled.length} request(s) without a final answer when the workload stopped retrying`);
    await caughtUp(lethe, workload).catch((error: Error) => console.log(`[faults] ${scenario}: ${error.message}`));
    const convergeMs = Date.now() - faultAt;
    // The records as they stand now, checked and saved alike (settle made no attempt go on).
    const requests = structuredClone(workload.requests);
    const kafka = cluster.kafka('lethe-faults-check');
    const { invariants, figures } = await checkInvariants({
      kafka,
      registryUrl: lethe.env.SCHEMA_REGISTRY_URL,
      pool: lethe.pool,
      schema: lethe.schema,
      prefix: lethe.prefix,
      service: 'faults',
      requests,
      systems: lethe.systems,
      api: { url: lethe.apiUrl, key: lethe.apiKey },
      env: lethe.env,
      data: lethe.data,
    });
    const result: ScenarioResult = {
      scenario,
      date: new Date().toISOString(),
      rate,
      requests: requests.length,
      accepted: figures.accepted,
      retried: requests.filter((r) => r.attempts.length > 1).length,
      factsLost: figures.lost,
      factsDoubled: figures.doubled,
      recordsRewritten: figures.rewritten,
      sendsCompleted: [...lethe.apps.values()].reduce((sum, app) => sum + (app.output.match(/sending them again/g)?.length ?? 0), 0),
      recoverMs: marks['writes succeed'] ?? recoverMs(workload, faultAt),
      convergeMs,
      marks,
      invariants,
      passed: invariants.every((i) => i.pass),
    };
    const { resultsDir } = stack;
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(join(resultsDir, `${scenario}.json`), `${JSON.stringify(result, null, 2)}\n`);
    workload.save(join(resultsDir, `${scenario}.requests.jsonl`));
    console.log(`[faults] ${scenario}: ${result.requests} requests, ${result.accepted} accepted, ${result.retried} retried, ${result.factsLost} lost, ${result.factsDoubled} doubled, ${result.sendsCompleted} send(s) completed by a resend, recovered in ${result.recoverMs} ms, converged in ${result.convergeMs} ms\n${formatInvariants(invariants)}`);
    if (!result.passed) console.log(lethe.output());
    passed = result.passed;
    return result;
  } finally {
    workload.stopSending();
    await lethe.stop({ keep: !passed && process.env.LETHE_FAULTS_KEEP === '1' });
  }
}

/** From the fault until the first 2xx answer after the last failed attempt; 0 when no attempt failed. */
function recoverMs(workload: Workload, faultAt: number): number {
  const attempts = workload.requests.flatMap((r) => r.attempts).filter((a) => a.at >= faultAt).sort((a, b) => a.at - b.at);
  const failed = attempts.filter((a) => typeof a.status !== 'number' || a.status >= 500);
  if (failed.length === 0) return 0;
  const last = failed[failed.length - 1].at;
  const next = attempts.find((a) => a.at > last && typeof a.status === 'number' && a.status < 300);
  return (next?.at ?? last) - faultAt;
}

/** Until every accepted fact is in the projection and no accepted erasure is open (they may also fail visibly). */
async function caughtUp(lethe: Lethe, workload: Workload, timeoutMs = 120_000): Promise<void> {
  const accepted = workload.requests.filter((r) => r.outcome === 'accepted');
  const erasures = accepted.filter((r) => r.kind === 'erasure').map((r) => r.requestId);
  await waitFor(
    async () => {
      const { rows } = await lethe.pool.query<{ subject_id: string; state: SubjectState }>(`select subject_id, state from "${lethe.schema}".subject_state where subject_id = any($1)`, [[...new Set(accepted.map((r) => r.subjectId))]]);
      const applied = new Set(rows.flatMap((row) => row.state.appliedEventIds));
      if (!accepted.every((r) => applied.has(r.eventId as string))) return false;
      const { rows: open } = await lethe.pool.query(
        `select 1 from "${lethe.schema}".erasure_requests r where r.request_id = any($1) and r.status <> 'completed'
            and not exists (select 1 from "${lethe.schema}".erasure_steps s where s.request_id = r.request_id and s.status = 'failed' and s.retryable = false)`,
        [erasures],
      );
      return open.length === 0;
    },
    { description: 'every accepted fact projected and every erasure closed', timeoutMs, intervalMs: 500 },
  );
}
