import { createHash } from 'node:crypto';

/** A consent.log record as the chain sees it: its bytes exactly, headers in the order they came. */
export interface ChainRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: [name: string, value: Buffer | null][];
}

/** The head of a partition's chain before its first record. */
export const EMPTY_HEAD: Buffer = Buffer.alloc(32);

const NULL_LENGTH = 0xffffffff;

/** A length-prefixed field: u32 big-endian length and the bytes, or 0xFFFFFFFF for null. */
function field(bytes: Buffer | null): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes === null ? NULL_LENGTH : bytes.length);
  return bytes === null ? [length] : [length, bytes];
}

/**
 * SHA-256 of a record's content: key, value, the header count (u32) and each header's name and
 * value, every field length-prefixed, so no two records share an encoding. The offset is left
 * out here, so a record moved to another offset is still recognised; the chain adds it.
 */
export function recordDigest({ key, value, headers }: Omit<ChainRecord, 'offset'>): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(headers.length);
  const parts = [...field(key), ...field(value), count, ...headers.flatMap(([name, v]) => [...field(Buffer.from(name, 'utf8')), ...field(v)])];
  return createHash('sha256').update(Buffer.concat(parts)).digest();
}

/** The next head: SHA-256(previous head ‖ u64 big-endian offset ‖ record digest). */
export function chainLink(previous: Buffer, offset: string | bigint, digest: Buffer): Buffer {
  const position = Buffer.alloc(8);
  position.writeBigUInt64BE(BigInt(offset));
  return createHash('sha256').update(previous).update(position).update(digest).digest();
}

type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined;

/** kafkajs's decoded headers as a list; a name that came several times gives several entries. */
export function headerList(headers: KafkaHeaders): ChainRecord['headers'] {
  const bytes = (v: Buffer | string | undefined) => (v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'));
  return Object.entries(headers ?? {}).flatMap(([name, v]) => (Array.isArray(v) ? v.map((one): [string, Buffer | null] => [name, bytes(one)]) : [[name, bytes(v)]]));
}
