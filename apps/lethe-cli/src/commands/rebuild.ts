import { Pool } from 'pg';
import { ConsentEventCodec, subjectsFor, UnknownPayloadTypeError, upgradeNeeded } from '@lethe/contracts';
import { GuardedPgClient, openDatabase } from '@lethe/persistence';
import { applyIsolating, decodeRecord, NON_PROJECTION_TABLES, ProjectionStore } from '@lethe/projection';
import { Command, EXIT, Refusal, required, schemaName } from '../cli';
import { logEnds, scanLog } from '../log-scan';
import { Progress } from '../progress';
import { cliKafka, cliSettings } from '../settings';

export const rebuild: Command = {
  spec: {
    name: 'rebuild',
    usage: 'lethe rebuild --into <schema> [--replace] [--json]',
    options: { into: 'string', replace: 'flag', json: 'flag' },
    help: [
      'Folds consent.log from offset 0 to its end as of now into a new PostgreSQL schema, with the',
      "projector's own code (the same fold and the same transactions), and prints what it folded.",
      'It only reads the log: nothing is written to Kafka (no consent.state, notices, completions',
      'or dead letters). The schema gets the positions under the projector group, so a projector',
      'started on it (LETHE_DB_SCHEMA) carries on from where the rebuild ended.',
      '',
      '  --into <schema>  a schema that does not exist yet, or is empty',
      '  --replace        drop the schema first if it holds a projection; refused for the live',
      '                   schema (LETHE_DB_SCHEMA) and for a schema with keys, API keys or other',
      '                   data that is not derived from the log',
      '  --json           one JSON object on stdout, no progress on stderr',
      '',
      'Cost: reads every record of every partition once; progress (events, rate, ETA) on stderr.',
      'Reads DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL, LETHE_TOPIC_PREFIX,',
      'LETHE_PROJECTOR_GROUP and LETHE_PROJECTOR_MAX_BATCH like the projector.',
      'Exit codes: 0 rebuilt, 1 failed, 2 bad usage or settings, 3 the schema holds data (refused).',
    ].join('\n'),
  },

  async run(parsed, env, io) {
    const schema = schemaName(required(parsed, 'into'), '--into');
    const json = parsed.options.json === true;
    const settings = cliSettings(env);
    const started = Date.now();
    await prepareSchema(settings.databaseUrl, schema, parsed.options.replace === true, settings.liveSchema);

    const kafka = cliKafka(settings);
    const topic = settings.topics.consentLog;
    const ends = await logEnds(kafka, topic);
    const total = ends.reduce((sum, p) => sum + Number(p.end), 0);
    const codec = ConsentEventCodec.forRegistry(settings.schemaRegistryUrl, subjectsFor(settings.topics).consentLogValue);
    const db = await openDatabase({ url: settings.databaseUrl, schema, poolSize: 4 });
    const progress = new Progress(io, 'rebuild: events', total, json);
    let rejected = 0;
    try {
      const slice = { db, store: new ProjectionStore(settings.projectorGroup), idleInTransactionTimeoutMs: 60_000, warn: (line: string) => io.err(`lethe rebuild: ${line}`) };
      await scanLog(kafka, {
        topic,
        ends,
        onRecords: async (partition, messages) => {
          for (let start = 0; start < messages.length; start += settings.maxBatchRecords) {
            const chunk = messages.slice(start, start + settings.maxBatchRecords);
            const records = await Promise.all(
              chunk.map((message) =>
                decodeRecord(codec, message).catch((error) => {
                  throw error instanceof UnknownPayloadTypeError ? upgradeNeeded(error, `${topic} partition ${partition} offset ${message.offset}`, 'rebuild') : error;
                }),
              ),
            );
            // Counted, not published: the live projector parked these on consent.dlq already.
            await applyIsolating({ ...slice, beforeCommit: async (_tx, folded) => void (rejected += folded.rejected.length) }, topic, partition, records);
            progress.advance(chunk.length);
          }
        },
      });
      progress.finish();
      const [{ subjects }] = await db.query(`select count(*)::int as subjects from subject_state`);
      const seconds = Number(((Date.now() - started) / 1000).toFixed(1));
      const positions = Object.fromEntries(ends.map((p) => [String(p.partition), p.end.toString()]));
      if (json) io.out(JSON.stringify({ schema, topic, events: total, rejected, subjects, seconds, positions }));
      else io.out(`rebuilt schema ${schema} from ${topic}: ${total} events (${rejected} not applicable), ${subjects} subjects, in ${seconds} s`);
      return EXIT.ok;
    } finally {
      await db.destroy();
    }
  },
};

/** Refuses a schema that holds anything unless --replace, and --replace of anything but a projection. */
async function prepareSchema(url: string, schema: string, replace: boolean, liveSchema: string | undefined): Promise<void> {
  const pool = new Pool({ Client: GuardedPgClient, connectionString: url, max: 1 });
  try {
    const [{ relations }] = (await pool.query(`select count(*)::int as relations from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1`, [schema])).rows;
    if (relations === 0) return;
    if (!replace) throw new Refusal(`schema ${schema} exists and is not empty: rebuild into a new schema, or pass --replace to drop it first`);
    if (schema === liveSchema) throw new Refusal(`schema ${schema} is the live projection (LETHE_DB_SCHEMA): refusing to drop it`);
    const { rows } = await pool.query(`select table_name from information_schema.tables where table_schema = $1 and table_name = any($2)`, [schema, NON_PROJECTION_TABLES]);
    for (const { table_name: table } of rows) {
      const { rows: held } = await pool.query(`select 1 from "${schema}"."${table}" limit 1`);
      if (held.length > 0) throw new Refusal(`schema ${schema} holds ${table}, which is not derived from the log: refusing to drop it`);
    }
    await pool.query(`drop schema "${schema}" cascade`);
  } finally {
    await pool.end();
  }
}
