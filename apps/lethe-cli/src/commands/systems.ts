import { groupPosition, liveMembers } from '@lethe/kafka';
import { openDatabase, systemSteps } from '@lethe/persistence';
import { Command, EXIT, UsageError } from '../cli';
import { cliKafka, cliSettings, declaredSystems } from '../settings';

/** One system's row of `lethe systems status`. */
export interface SystemStatus {
  system: string;
  type: string;
  group: string;
  /** Consumers of the group now: 0 when its worker is not running. */
  members: number;
  lag: number;
  records: number;
  /** Share of consent.log's records the system has read, 0 to 1. */
  caughtUp: number;
  open: number;
  retrying: number;
  parked: number;
  /** Age of the oldest open step's request, seconds; null when none is open. */
  oldestOpenSeconds: number | null;
}

export const systems: Command = {
  spec: {
    name: 'systems',
    usage: 'lethe systems status [--system <name>] [--json]',
    positionals: ['action'],
    options: { system: 'string', json: 'flag' },
    help: [
      'Per downstream system of LETHE_SYSTEMS_FILE, how far its erasure worker is: the lag of its',
      'consumer group on consent.log (records not read yet), the share of the log it has read',
      '("caught up": records read / records on the log, 100% once the lag is 0), the members of',
      'its group (0: no worker runs it), and its steps: open (erasure steps not completed, in the',
      'projection), retrying (scheduled retries, confirmations awaited), parked (failed for good,',
      'waiting for a retry), and the age of the oldest open step\'s request. The erasure worker',
      'serves the same figures as lethe_system_* gauges on /metrics.',
      '',
      '  --system <name>  only this system',
      '  --json           one JSON object on stdout: {"systems": [...]}',
      '',
      'Cost: one offsets request per system and two small queries. Reads LETHE_SYSTEMS_FILE,',
      'KAFKA_BROKERS, LETHE_TOPIC_PREFIX, DATABASE_URL and LETHE_DB_SCHEMA.',
      'Exit codes: 0 shown, 1 failed, 2 bad usage or settings, 3 --system is not declared.',
    ].join('\n'),
  },

  async run(parsed, env, io) {
    if (parsed.positionals[0] !== 'status') throw new UsageError('the only action is status');
    const only = typeof parsed.options.system === 'string' ? parsed.options.system : undefined;
    const entries = declaredSystems(env, only);
    const settings = cliSettings(env);
    const admin = cliKafka(settings).admin();
    const db = await openDatabase({ url: settings.databaseUrl, schema: settings.liveSchema, poolSize: 2 });
    try {
      await admin.connect();
      const now = Date.now();
      const rows = await Promise.all(
        entries.map(async (entry): Promise<SystemStatus> => {
          const group = settings.systemGroup(entry.name);
          const [position, members, steps] = await Promise.all([groupPosition(admin, group, settings.topics.consentLog), liveMembers(admin, group), systemSteps(db, entry.name)]);
          const { oldestOpenSince, ...counts } = steps;
          return {
            system: entry.name,
            type: entry.type,
            group,
            members,
            lag: Number(position.lag),
            records: Number(position.records),
            caughtUp: position.caughtUp,
            ...counts,
            oldestOpenSeconds: oldestOpenSince ? Math.max(0, Math.round((now - oldestOpenSince.getTime()) / 1000)) : null,
          };
        }),
      );
      if (parsed.options.json === true) io.out(JSON.stringify({ topic: settings.topics.consentLog, systems: rows }));
      else for (const line of statusTable(rows)) io.out(line);
      return EXIT.ok;
    } finally {
      await Promise.allSettled([admin.disconnect(), db.destroy()]);
    }
  },
};

const COLUMNS = ['system', 'type', 'workers', 'lag', 'caught up', 'open', 'retrying', 'parked', 'oldest open'];

/** A table with a header, columns padded to their widest cell. */
export function statusTable(rows: SystemStatus[]): string[] {
  const cells = rows.map((r) => [r.system, r.type, String(r.members), String(r.lag), `${(100 * r.caughtUp).toFixed(1)}%`, String(r.open), String(r.retrying), String(r.parked), age(r.oldestOpenSeconds)]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i].length)));
  return [COLUMNS, ...cells].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
}

function age(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return seconds < 172_800 ? `${Math.round(seconds / 3_600)} h` : `${Math.round(seconds / 86_400)} d`;
}
