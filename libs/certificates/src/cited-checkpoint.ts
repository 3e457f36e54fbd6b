import { DomainError } from '@lethe/consent-domain';
import { originOf, parseCheckpoint } from './log-chain/checkpoint';
import { NoteError, type NoteVerifier, openNote } from './log-chain/note';

/** The checkpoint a certificate cites: the signed note, and where it sits on consent.audit. */
export interface CitedCheckpoint {
  auditTopic: string;
  auditOffset: string;
  /** A C2SP checkpoint in a signed note (docs/adr/0017). */
  note: string;
}

interface Position {
  topic: string;
  partition: number;
  offset: string;
}

/** What the note's checkpoint fails to cover of `positions`, or undefined when it covers all. */
function uncovered(body: string, positions: Position[]): string | undefined {
  const { origin, size } = parseCheckpoint(body);
  const outside = positions.find((p) => origin !== originOf(p.topic, p.partition) || BigInt(p.offset) >= size);
  return outside && `the checkpoint (${origin}, size ${size}) does not cover ${outside.topic} partition ${outside.partition} offset ${outside.offset}`;
}

/**
 * The checkpoint, if it covers every position; otherwise the request is refused (409), as a
 * certificate without one would ask the auditor to trust the log unchecked. Lethe's API does not
 * hold the checkpoint key: it reads the note's body, the auditor checks the signature.
 */
export function requireCoverage(checkpoint: CitedCheckpoint | undefined, positions: Position[]): CitedCheckpoint {
  const split = checkpoint?.note.indexOf('\n\n') ?? -1;
  const problem = checkpoint && split > 0 ? uncovered(checkpoint.note.slice(0, split + 1), positions) : 'none';
  if (problem !== undefined) {
    throw new DomainError('illegal_state', 'checkpoint_pending', "no signed checkpoint of consent.log covers this request's events yet; the checkpointer writes one within seconds, retry");
  }
  return checkpoint as CitedCheckpoint;
}

/** An auditor's check: the note is signed by the pinned checkpoint key and covers every position. */
export function verifyCitedCheckpoint(checkpoint: CitedCheckpoint, positions: Position[], verifier: NoteVerifier): { valid: true; origin: string; size: string } | { valid: false; problem: string } {
  try {
    const body = openNote(checkpoint.note, verifier);
    const problem = uncovered(body, positions);
    if (problem) return { valid: false, problem };
    const { origin, size } = parseCheckpoint(body);
    return { valid: true, origin, size: size.toString() };
  } catch (error) {
    if (error instanceof NoteError) return { valid: false, problem: `the cited checkpoint: ${error.message}` };
    throw error;
  }
}
