import { ConsentEvent, ConsentEventCodec, subjectsFor } from '@lethe/contracts';
import { Env } from '@lethe/config';
import { Output, Parsed, Refusal, required } from '../cli';
import { identityViews, revealKey } from '../identity-views';
import { cliKafka, cliSettings } from '../settings';
import { IdentityView, subjectRecords, SubjectRecords } from '../subject-timeline';

/** The options `as-of` and `history` share, and the help text they share. */
export const SUBJECT_OPTIONS = { subject: 'string', reveal: 'flag', json: 'flag' } as const;

export const SUBJECT_HELP = [
  '  --subject <id>  the subject (opaque id), as on consent.log',
  '  --reveal        print identifiers in clear, decrypted with LETHE_MASTER_KEY (said on stderr);',
  '                  without it they show as [encrypted], or [shredded] once the key is destroyed',
  '  --json          one JSON object on stdout',
  '',
  'Cost: the log has no index by subject, so this reads the subject\'s whole partition of',
  'consent.log from offset 0 (the default partitioner of its id): about 1/N of the log for N',
  'partitions. Reads KAFKA_BROKERS, SCHEMA_REGISTRY_URL, LETHE_TOPIC_PREFIX; for identifiers,',
  'DATABASE_URL and LETHE_DB_SCHEMA (the identity vault).',
];

export interface SubjectFacts extends SubjectRecords {
  subjectId: string;
  identities: Map<string, IdentityView>;
}

/** Reads the subject's records and how each one's identifiers may be shown; a subject with none is refused (exit 3). */
export async function loadSubjectFacts(parsed: Parsed, env: Env, io: Output, command: string): Promise<SubjectFacts> {
  const subjectId = required(parsed, 'subject');
  const masterKey = parsed.options.reveal === true ? revealKey(env) : undefined;
  const settings = cliSettings(env);
  const codec = ConsentEventCodec.forRegistry(settings.schemaRegistryUrl, subjectsFor(settings.topics).consentLogValue);
  const found = await subjectRecords(cliKafka(settings), codec, settings.topics.consentLog, subjectId);
  if (found.records.length === 0) throw new Refusal(`no records of this subject on ${settings.topics.consentLog} (partition ${found.partition})`);
  const events = found.records.flatMap((record): ConsentEvent[] => (record.event ? [record.event] : []));
  if (masterKey) io.err(`lethe ${command}: --reveal: identifiers are decrypted with LETHE_MASTER_KEY and printed in clear; treat this output as personal data`);
  return { ...found, subjectId, identities: await identityViews(settings, subjectId, events, masterKey) };
}
