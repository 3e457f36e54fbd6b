import { createHash } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { uniqueName } from './kafka';
import { waitFor } from './wait-for';

/** Bytes found somewhere, named by where (a topic record's part, a table's row). */
export interface Haystack {
  where: string;
  bytes: Buffer;
}

/**
 * Every form in which Lethe's code could hold a string: as given, lower and upper case, UTF-16,
 * hex, base64 and base64url (at each of the three alignments inside a longer encoding), URL
 * encoding, its digits alone (a phone), and its SHA-256 (raw, hex, base64). Keyed hashes (an sql
 * system's `hmac` fields, the idempotency fingerprint of a whole body) are not forms of the
 * identifier alone and cannot be searched for without their keys.
 */
export function encodingsOf(value: string): { encoding: string; bytes: Buffer }[] {
  const utf8 = Buffer.from(value, 'utf8');
  const sha = createHash('sha256').update(utf8).digest();
  const forms: { encoding: string; bytes: Buffer }[] = [
    { encoding: 'clear', bytes: utf8 },
    { encoding: 'lower case', bytes: Buffer.from(value.toLowerCase()) },
    { encoding: 'upper case', bytes: Buffer.from(value.toUpperCase()) },
    { encoding: 'utf-16', bytes: Buffer.from(value, 'utf16le') },
    { encoding: 'hex', bytes: Buffer.from(utf8.toString('hex')) },
    { encoding: 'HEX', bytes: Buffer.from(utf8.toString('hex').toUpperCase()) },
    { encoding: 'url', bytes: Buffer.from(encodeURIComponent(value)) },
    { encoding: 'sha256', bytes: sha },
    { encoding: 'sha256 hex', bytes: Buffer.from(sha.toString('hex')) },
    { encoding: 'sha256 base64', bytes: Buffer.from(sha.toString('base64')) },
    ...[0, 1, 2].flatMap((shift) => [
      { encoding: `base64 (+${shift})`, bytes: Buffer.from(alignedBase64(utf8, shift)) },
      { encoding: `base64url (+${shift})`, bytes: Buffer.from(alignedBase64(utf8, shift).replace(/\+/g, '-').replace(/\//g, '_')) },
    ]),
  ];
  const digits = value.replace(/\D/g, '');
  if (digits.length >= 7 && digits !== value) forms.push({ encoding: 'digits', bytes: Buffer.from(digits) });
  return forms;
}

/**
 * The base64 characters that encode `bytes` whatever surrounds them, when `shift` bytes precede
 * them in the encoded whole: the groups that mix in neighbouring bytes are left out.
 */
function alignedBase64(bytes: Buffer, shift: number): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
  const skip = shift === 0 ? 0 : 4;
  const whole = Math.floor((bytes.length - (shift === 0 ? 0 : 3 - shift)) / 3) * 4;
  return encoded.slice(skip, skip + whole);
}

/** Each (where, identifier, encoding) at which an identifier is found. */
export function findIdentifiers(haystacks: readonly Haystack[], identifiers: readonly string[]): string[] {
  const found: string[] = [];
  for (const identifier of identifiers) {
    for (const { encoding, bytes } of encodingsOf(identifier)) {
      for (const { where, bytes: haystack } of haystacks) {
        if (haystack.includes(bytes)) found.push(`${where}: ${identifier} (${encoding})`);
      }
    }
  }
  return found;
}

/** Every record of every topic under `prefix`, read to the end: its key, value, header names and values. */
export async function topicBytes(kafka: Kafka, admin: Admin, prefix: string): Promise<Haystack[]> {
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
  const ends = new Map(await Promise.all(topics.map(async (topic) => [topic, await admin.fetchTopicOffsets(topic)] as const)));
  const haystacks: Haystack[] = [];
  const next = new Map<string, bigint>();
  const consumer = kafka.consumer({ groupId: uniqueName('test.raw-scan') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const where = `${topic} ${partition}@${message.offset}`;
        if (message.key) haystacks.push({ where: `${where} key`, bytes: message.key });
        if (message.value) haystacks.push({ where: `${where} value`, bytes: message.value });
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          for (const part of [name, ...[value ?? []].flat()]) haystacks.push({ where: `${where} header ${name}`, bytes: Buffer.from(part) });
        }
        next.set(`${topic}:${partition}`, BigInt(message.offset) + 1n);
      },
    });
    await waitFor(
      () => [...ends].every(([topic, offsets]) => offsets.every(({ partition, high }) => (next.get(`${topic}:${partition}`) ?? BigInt(offsets.find((o) => o.partition === partition)?.low ?? 0)) >= BigInt(high))),
      { description: `the scan to read every topic under ${prefix} to its end`, timeoutMs: 60_000 },
    );
  } finally {
    await consumer.disconnect();
  }
  return haystacks;
}

/** Every row of every table in `schema`: its text form, and the raw bytes of each bytea column. */
export async function tableBytes(pool: Pool, schema: string): Promise<Haystack[]> {
  const { rows: tables } = await pool.query(`select table_name from information_schema.tables where table_schema = $1 and table_type = 'BASE TABLE'`, [schema]);
  const haystacks: Haystack[] = [];
  for (const { table_name: table } of tables as { table_name: string }[]) {
    const { rows } = await pool.query(`select t::text as "row text", t.* from "${schema}"."${table}" t`);
    rows.forEach((row: Record<string, unknown>, index: number) => {
      const where = `${schema}.${table} row ${index}`;
      haystacks.push({ where, bytes: Buffer.from(String(row['row text'])) });
      for (const [column, value] of Object.entries(row)) {
        if (Buffer.isBuffer(value)) haystacks.push({ where: `${where} ${column}`, bytes: value });
      }
    });
  }
  return haystacks;
}
