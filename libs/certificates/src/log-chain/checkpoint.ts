import { NoteError } from './note';

/**
 * A checkpoint in the C2SP tlog-checkpoint text format (c2sp.org/tlog-checkpoint): the origin,
 * the size, the root hash in base64, one line each. For a partition of consent.log the origin is
 * `lethe/<topic>/<partition>`, the size is the offset one past the last record chained (offsets
 * of consent.log are contiguous, so it is also the record count) and the hash is the chain head.
 */
export interface Checkpoint {
  origin: string;
  size: bigint;
  hash: Buffer;
}

export function originOf(topic: string, partition: number): string {
  return `lethe/${topic}/${partition}`;
}

export function checkpointBody({ origin, size, hash }: Checkpoint): string {
  return `${origin}\n${size}\n${hash.toString('base64')}\n`;
}

export function parseCheckpoint(body: string): Checkpoint {
  const lines = body.split('\n');
  const [origin, size, hash] = lines;
  const bytes = Buffer.from(hash ?? '', 'base64');
  if (lines.length !== 4 || lines[3] !== '' || !origin || !/^(0|[1-9][0-9]{0,18})$/.test(size ?? '') || bytes.length !== 32 || bytes.toString('base64') !== hash) {
    throw new NoteError('not a checkpoint (origin, size and a base64 SHA-256, one line each)');
  }
  return { origin, size: BigInt(size), hash: bytes };
}
