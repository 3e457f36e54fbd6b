import { randomUUID } from 'node:crypto';
import { ConsentEvent, ConsentEventCodec, HEADERS, stepReapplyRequestedId, subjectsFor, UnknownPayloadTypeError, upgradeNeeded } from '@lethe/contracts';
import type { SubjectState } from '@lethe/consent-domain';
import { appendToConsentLog, createSafeProducer } from '@lethe/kafka';
import { openDatabase } from '@lethe/persistence';
import type { Kafka } from 'kafkajs';
import { Command, EXIT, Output, Refusal, required, UsageError } from '../cli';
import { timeFrom } from '../instants';
import { followLog, logEnds, scanLog } from '../log-scan';
import { Progress } from '../progress';
import { Cause, CauseCounts, CauseKind, countByKind, REAPPLY_TYPES, ReapplySelection, stillInForce } from '../reapply-selection';
import { CliSettings, cliKafka, cliSettings, declaredSystems } from '../settings';

/** Reapply requests appended per send. */
const CHUNK = 500;

export const reapply: Command = {
  spec: {
    name: 'reapply',
    usage: 'lethe reapply --system <name> --since <instant> [--dry-run | --wait [--timeout <seconds>]] [--json]',
    options: { system: 'string', since: 'string', 'dry-run': 'flag', wait: 'flag', timeout: 'string', json: 'flag' },
    help: [
      'After a system was restored from a backup taken at <instant>, makes it act again on every',
      'erasure request and every opt-out (withdrawal, objection, opt-out of sale...) it acknowledged',
      'at or after that instant: the backup may hold those people again. A withdrawal is left out',
      'once the purpose was granted again (as the projection says now), so it is not re-run.',
      'Appends one StepReapplyRequested per step to consent.log, under a new reapply id; the',
      "system's erasure worker carries each out again under a new work id (so a ledger restored",
      'with the data does not answer "done") and appends a new acknowledgement. Requests stay',
      'completed; certificates keep citing the first acknowledgement (docs/adr/0019).',
      '',
      '  --system <name>     a system of LETHE_SYSTEMS_FILE (sql, cache or kafka; a third-party',
      '                      processor restores its own backups)',
      '  --since <instant>   when the backup was taken (ISO 8601, e.g. 2026-03-01T00:00:00Z)',
      '  --dry-run           count the steps per cause, append nothing; never names a subject',
      "  --wait              then follow consent.log until the system's worker has acknowledged",
      '                      every step (progress, rate and ETA on stderr), or failed it for good',
      '  --timeout <seconds> how long --wait waits (default 600)',
      '  --json              one JSON object on stdout, no progress on stderr',
      '',
      'Cost: reads consent.log from offset 0 (progress, rate and ETA on stderr) and keeps the',
      "system's causes in memory. Reads LETHE_SYSTEMS_FILE, KAFKA_BROKERS, SCHEMA_REGISTRY_URL,",
      'LETHE_TOPIC_PREFIX, DATABASE_URL and LETHE_DB_SCHEMA (the projection, for re-grants).',
      'Follow the worker with `lethe systems status --system <name>`.',
      'Exit codes: 0 done (also when nothing needs reapplying; with --wait, every step acknowledged),',
      '1 failed (with --wait: a step failed for good, or was not acknowledged in time), 2 bad usage or settings,',
      '3 refused (the system is not declared, or is a third-party processor).',
    ].join('\n'),
  },

  async run(parsed, env, io) {
    const name = required(parsed, 'system');
    const since = timeFrom(required(parsed, 'since'), '--since');
    const dryRun = parsed.options['dry-run'] === true;
    const json = parsed.options.json === true;
    const wait = parsed.options.wait === true;
    if (wait && dryRun) throw new UsageError('--wait and --dry-run exclude each other');
    const timeoutMs = 1000 * (typeof parsed.options.timeout === 'string' ? seconds(parsed.options.timeout, '--timeout') : 600);
    const [entry] = declaredSystems(env, name);
    if (entry.type === 'http') throw new Refusal('--system is a third-party processor: it restores its own backups, and its callbacks know each request by its first work id');
    const settings = cliSettings(env);
    const codec = ConsentEventCodec.forRegistry(settings.schemaRegistryUrl, subjectsFor(settings.topics).consentLogValue);

    const selected = await selectCauses(settings, codec, new ReapplySelection(name, since, entry.reactions), io, json);
    const states = await projectedStates(settings, selected);
    const inForce = selected.filter((cause) => stillInForce(cause, states.get(cause.event.subject_id) ?? null));
    const summary = {
      system: name,
      since: new Date(since).toISOString(),
      dryRun,
      causes: countByKind(inForce),
      superseded: countByKind(selected.filter((cause) => !inForce.includes(cause))),
      reapplyId: null as string | null,
      requested: 0,
      ...(wait ? { outcomes: { acknowledged: 0, failed: 0, waiting: 0 } } : {}),
    };
    if (!dryRun && inForce.length > 0) {
      summary.reapplyId = `reapply-${randomUUID()}`;
      const kafka = cliKafka(settings);
      const from = new Map((await logEnds(kafka, settings.topics.consentLog)).map((p) => [p.partition, p.end]));
      const requests = await requestReapplies(settings, codec, name, summary.reapplyId, inForce, io, json);
      summary.requested = requests.length;
      if (wait) summary.outcomes = await followOutcomes(kafka, codec, settings.topics.consentLog, from, requests, timeoutMs, io, json);
    }
    if (json) io.out(JSON.stringify(summary));
    else for (const line of summaryLines(summary)) io.out(line);
    const outcomes = summary.outcomes;
    return outcomes && outcomes.acknowledged < summary.requested ? EXIT.failed : EXIT.ok;
  },
};

/** One read of consent.log from offset 0, decoding only the types a reapply needs. */
async function selectCauses(settings: CliSettings, codec: ConsentEventCodec, selection: ReapplySelection, io: Output, quiet: boolean): Promise<Cause[]> {
  const kafka = cliKafka(settings);
  const topic = settings.topics.consentLog;
  const ends = await logEnds(kafka, topic);
  const progress = new Progress(io, 'reapply: events read', ends.reduce((sum, p) => sum + Number(p.end), 0), quiet);
  // Partitions are read at once, but a subject's records all sit in one partition, in order.
  await scanLog(kafka, {
    topic,
    ends,
    onRecords: async (partition, messages) => {
      for (const message of messages) {
        const type = message.headers?.[HEADERS.eventType]?.toString();
        if (message.value && (type === undefined || REAPPLY_TYPES.includes(type))) {
          const event = await codec.decode(message.value).catch((error: unknown) => {
            if (error instanceof UnknownPayloadTypeError) throw upgradeNeeded(error, `${topic} partition ${partition} offset ${message.offset}`, 'reapply');
            return undefined; // undecodable: on consent.dlq already, nothing any system acted on
          });
          if (event) selection.add(event, message.value);
        }
      }
      progress.advance(messages.length);
    },
  });
  progress.finish();
  return selection.selected();
}

/** The subjects' states as the projector folded them, to leave out withdrawals a grant reversed. */
async function projectedStates(settings: CliSettings, causes: Cause[]): Promise<Map<string, SubjectState>> {
  const subjects = [...new Set(causes.filter((cause) => cause.kind === 'withdrawal').map((cause) => cause.event.subject_id))];
  if (subjects.length === 0) return new Map();
  const db = await openDatabase({ url: settings.databaseUrl, schema: settings.liveSchema, poolSize: 2 });
  try {
    const rows: { subject_id: string; state: SubjectState }[] = await db.query(`select subject_id, state from subject_state where subject_id = any($1)`, [subjects]);
    return new Map(rows.map((row) => [row.subject_id, row.state]));
  } finally {
    await db.destroy();
  }
}

/** Appends the reapply requests (acks=all), keyed by subject so each follows its cause on the subject's partition. */
async function requestReapplies(settings: CliSettings, codec: ConsentEventCodec, system: string, reapplyId: string, causes: Cause[], io: Output, quiet: boolean): Promise<string[]> {
  const producer = createSafeProducer(cliKafka(settings));
  await producer.connect();
  const progress = new Progress(io, 'reapply: requests appended', causes.length, quiet);
  try {
    const now = Date.now();
    const requests = causes.map((cause) => reapplyRequest(cause, system, reapplyId, now));
    for (let start = 0; start < requests.length; start += CHUNK) {
      const chunk = requests.slice(start, start + CHUNK);
      await appendToConsentLog(producer, codec, settings.topics.consentLog, chunk);
      progress.advance(chunk.length);
    }
    progress.finish();
    return requests.map((request) => request.event_id);
  } finally {
    await producer.disconnect();
  }
}

function reapplyRequest({ event, record }: Cause, system: string, reapplyId: string, now: number): ConsentEvent {
  return {
    event_id: stepReapplyRequestedId(reapplyId, system, event.subject_id, event.event_id),
    subject_id: event.subject_id,
    occurred_at: now,
    recorded_at: now,
    source: 'SYSTEM',
    actor: 'lethe-cli:reapply',
    jurisdiction: event.jurisdiction,
    policy_version: null,
    purposes: [...event.purposes],
    correlation_id: reapplyId,
    causation_id: event.event_id,
    // The cause's identifiers travel inside its record, still encrypted under the subject's key.
    identities: null,
    payload: { type: 'StepReapplyRequested', reapply_id: reapplyId, system, cause: record },
  };
}

const OUTCOME_TYPES = ['ErasureStepCompleted', 'OptOutStepCompleted', 'ErasureStepFailed', 'OptOutStepFailed'];

/** Follows consent.log from before the requests until each has its acknowledgement (the request is its causation_id) or a final failure. */
async function followOutcomes(kafka: Kafka, codec: ConsentEventCodec, topic: string, from: Map<number, bigint>, requests: string[], timeoutMs: number, io: Output, quiet: boolean) {
  const waiting = new Set(requests);
  const outcomes = { acknowledged: 0, failed: 0, waiting: 0 };
  const progress = new Progress(io, 'reapply: steps acknowledged', requests.length, quiet);
  await followLog(kafka, {
    topic,
    from,
    timeoutMs,
    done: () => waiting.size === 0,
    onRecords: async (_partition, messages) => {
      for (const message of messages) {
        if (!message.value || !OUTCOME_TYPES.includes(message.headers?.[HEADERS.eventType]?.toString() ?? '')) continue;
        const event = await codec.decode(message.value);
        if (!event.causation_id || !waiting.has(event.causation_id)) continue;
        const payload = event.payload;
        const completed = payload.type === 'ErasureStepCompleted' || payload.type === 'OptOutStepCompleted';
        if (!completed && (payload.type === 'ErasureStepFailed' || payload.type === 'OptOutStepFailed') && payload.retryable) continue;
        waiting.delete(event.causation_id);
        outcomes[completed ? 'acknowledged' : 'failed'] += 1;
        progress.advance(1);
      }
    },
  });
  progress.finish();
  return { ...outcomes, waiting: waiting.size };
}

function seconds(value: string, argument: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw new UsageError(`${argument} must be a whole number of seconds, 1 or more`);
  return Number(value);
}

interface Summary {
  system: string;
  since: string;
  dryRun: boolean;
  causes: Partial<Record<CauseKind, CauseCounts>>;
  superseded: Partial<Record<CauseKind, CauseCounts>>;
  reapplyId: string | null;
  requested: number;
  outcomes?: { acknowledged: number; failed: number; waiting: number };
}

export function summaryLines(summary: Summary): string[] {
  const steps = Object.values(summary.causes).reduce((sum, c) => sum + c.steps, 0);
  const perCause = Object.entries(summary.causes).map(([kind, c]) => `  ${kind}: ${c.subjects} subject(s), ${c.steps} step(s)`);
  const superseded = Object.entries(summary.superseded).map(([kind, c]) => `  not reapplied, no longer in force: ${kind}: ${c.subjects} subject(s), ${c.steps} step(s)`);
  const head = summary.dryRun
    ? `reapply ${summary.system} since ${summary.since} (dry run): ${steps} step(s) would be carried out again`
    : summary.reapplyId
      ? `reapply ${summary.system} since ${summary.since}: ${summary.requested} step(s) requested under ${summary.reapplyId}; the system's worker carries them out and acknowledges each on consent.log`
      : `reapply ${summary.system} since ${summary.since}: nothing to carry out again`;
  const outcomes = summary.outcomes && summary.reapplyId ? [`  acknowledged ${summary.outcomes.acknowledged}, failed for good ${summary.outcomes.failed}, not acknowledged in time ${summary.outcomes.waiting}`] : [];
  return [head, ...perCause, ...superseded, ...outcomes];
}
