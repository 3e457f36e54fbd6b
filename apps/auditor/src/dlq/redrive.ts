import { Kafka } from 'kafkajs';
import { ACKS_ALL, createSafeProducer, redriveMarker, redrivenCopy } from '@lethe/kafka';
import { Letter, readDeadLetters } from './dead-letters';

export interface DlqTopics {
  dlq: string;
  log: string;
}

/** Re-drive the letters at these DLQ positions (partition:offset, or an offset of partition 0), or every letter with this reason. */
export type Selection = { ids: string[] } | { reason: string };

/** The selection names no dead letter that can be re-driven here; nothing was written. */
export class SelectionError extends Error {
  override readonly name = 'SelectionError';
}

export interface RedriveOutcome {
  /** Letter id → where its record now is on the log. */
  redriven: { id: string; to: string }[];
  /** Letters re-driven before; left alone. */
  already: string[];
}

/**
 * Appends the original bytes of the selected letters to consent.log, with their original key and
 * headers plus where they came from, then marks each letter re-driven with a marker record on
 * the DLQ, so a later run leaves it alone. Letters of one source record (one per consumer group
 * that dead-lettered it) send it once. A crash between the two writes re-drives it again on the
 * next run: a duplicate the fold ignores (it dedups by event id), never a loss.
 */
export async function redrive(kafka: Kafka, topics: DlqTopics, selection: Selection): Promise<RedriveOutcome> {
  const letters = await readDeadLetters(kafka, topics.dlq);
  const selected = select(letters, selection, topics.log);
  const outcome: RedriveOutcome = { redriven: [], already: selected.filter((l) => l.redrivenTo).map((l) => l.id) };
  const bySource = new Map<string, Letter[]>();
  for (const letter of selected.filter((l) => !l.redrivenTo)) {
    const source = `${letter.record.source.partition}:${letter.record.source.offset}`;
    bySource.set(source, [...(bySource.get(source) ?? []), letter]);
  }
  if (bySource.size === 0) return outcome;
  const producer = createSafeProducer(kafka);
  await producer.connect();
  try {
    for (const [source, group] of bySource) {
      const to = letters.find((l) => l.redrivenTo && `${l.record.source.partition}:${l.record.source.offset}` === source)?.redrivenTo ?? (await append(group[0]));
      await producer.send({ topic: topics.dlq, acks: ACKS_ALL, messages: group.map((letter) => redriveMarker(letter.id, to)) });
      outcome.redriven.push(...group.map((letter) => ({ id: letter.id, to })));
    }
  } finally {
    await producer.disconnect();
  }
  return outcome;

  async function append(letter: Letter): Promise<string> {
    const [written] = await producer.send({ topic: topics.log, acks: ACKS_ALL, messages: [redrivenCopy(letter.message, `${topics.dlq}:${letter.id}`)] });
    return `${topics.log}:${written.partition}:${written.baseOffset}`;
  }
}

function select(letters: Letter[], selection: Selection, log: string): Letter[] {
  let selected: Letter[];
  if ('reason' in selection) {
    selected = letters.filter((letter) => letter.record.reason === selection.reason);
    if (selected.length === 0) throw new SelectionError(`no dead letter has reason "${selection.reason}"`);
  } else {
    const ids = selection.ids.map((id) => (id.includes(':') ? id : `0:${id}`));
    const missing = ids.filter((id) => !letters.some((letter) => letter.id === id));
    if (missing.length > 0) throw new SelectionError(`no dead letter at ${missing.join(', ')} (markers of earlier re-drives are not letters)`);
    selected = letters.filter((letter) => ids.includes(letter.id));
  }
  const foreign = selected.filter((letter) => letter.record.source.topic !== log);
  if (foreign.length > 0) throw new SelectionError(`letter(s) ${foreign.map((l) => l.id).join(', ')} came from another topic than ${log}; not re-driven`);
  return selected;
}
