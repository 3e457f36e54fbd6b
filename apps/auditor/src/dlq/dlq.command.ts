import { ConfigError, endpointsFrom, Env, topicSettingsFrom } from '@lethe/config';
import { logLevel } from 'kafkajs';
import { createKafka } from '@lethe/kafka';
import { Letter, readDeadLetters } from './dead-letters';
import { DlqTopics, redrive, Selection, SelectionError } from './redrive';

// lethe dlq list [--json] | lethe dlq redrive (--offset N ...| --reason R)
// Exit 0 done (also when everything selected was re-driven before), 1 failed (Kafka, a write),
// 2 bad usage or settings, 3 the selection names no dead letter that can be re-driven (nothing written).

export const DLQ_USAGE = [
  'usage: npm run dlq -- list [--json]',
  '       npm run dlq -- redrive --offset <N | partition:N> [--offset ...]',
  '       npm run dlq -- redrive --reason <reason>',
].join('\n');

export const EXIT = { ok: 0, failed: 1, usage: 2, nothingSelected: 3 } as const;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

type Command = { name: 'list'; json: boolean } | { name: 'redrive'; selection: Selection };

export function parseDlqArgs(args: string[]): Command | null {
  const [name, ...rest] = args;
  if (name === 'list') return rest.length === 0 || (rest.length === 1 && rest[0] === '--json') ? { name, json: rest.length === 1 } : null;
  if (name !== 'redrive') return null;
  const ids: string[] = [];
  let reason: string | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    const value = rest[i + 1];
    if (!value) return null;
    if (rest[i] === '--offset' && /^(\d+:)?\d+$/.test(value)) ids.push(value);
    else if (rest[i] === '--reason' && reason === undefined) reason = value;
    else return null;
  }
  if ((ids.length > 0) === (reason !== undefined)) return null; // exactly one way of choosing
  return { name, selection: reason !== undefined ? { reason } : { ids } };
}

/** Runs one `dlq` command against the Kafka named by the environment (KAFKA_BROKERS, LETHE_TOPIC_PREFIX); returns the exit code. */
export async function runDlqCommand(args: string[], env: Env, io: Output): Promise<number> {
  const command = parseDlqArgs(args);
  if (!command) {
    io.err(DLQ_USAGE);
    return EXIT.usage;
  }
  let topics: DlqTopics;
  try {
    const { names } = topicSettingsFrom(env);
    topics = { dlq: names.consentDlq, log: names.consentLog };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`dlq: ${error.message}`);
    return EXIT.usage;
  }
  // Quiet, and quick to give up on an unreachable broker: the command reports what failed, in one line.
  const kafka = createKafka({ brokers: endpointsFrom(env).kafkaBrokers, clientId: 'lethe-dlq', logLevel: logLevel.NOTHING, retries: 3 });
  try {
    if (command.name === 'list') {
      const letters = await readDeadLetters(kafka, topics.dlq);
      for (const line of command.json ? [JSON.stringify(letters.map(view), null, 2)] : table(letters, topics.dlq)) io.out(line);
      return EXIT.ok;
    }
    const { redriven, already } = await redrive(kafka, topics, command.selection);
    for (const { id, to } of redriven) io.out(`re-drove ${topics.dlq} ${id} to ${to}`);
    if (already.length > 0) io.out(`already re-driven, left alone: ${already.join(', ')}`);
    return EXIT.ok;
  } catch (error) {
    io.err(`dlq ${command.name}: ${(error as Error).message}`);
    return error instanceof SelectionError ? EXIT.nothingSelected : EXIT.failed;
  }
}

/** What an operator may see of a letter: positions, reasons and sizes, never its key or bytes. */
function view({ id, record, redrivenTo }: Letter) {
  const { reason, detail, source, groupId, eventType, bytes } = record;
  return { offset: id, reason, detail: detail ?? null, source, group: groupId, eventType: eventType ?? null, bytes, redrivenTo: redrivenTo ?? null };
}

function table(letters: Letter[], topic: string): string[] {
  if (letters.length === 0) return [`${topic} holds no dead letters`];
  const rows = letters.map((letter) => {
    const v = view(letter);
    return [v.offset, v.reason, `${v.source.topic}:${v.source.partition}:${v.source.offset}`, v.group, v.eventType ?? '-', String(v.bytes), v.redrivenTo ?? '-'];
  });
  const all = [['offset', 'reason', 'source', 'group', 'event type', 'bytes', 're-driven to'], ...rows];
  const widths = all[0].map((_, column) => Math.max(...all.map((row) => row[column].length)));
  return all.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
}
