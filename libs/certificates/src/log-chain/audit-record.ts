import { NoteError } from './note';

export const AUDIT_RECORD_FORMAT = 'lethe.log-checkpoint/v1';

/** One record's place in the chain: its offset and its content digest (base64). */
export interface ChainEntry {
  offset: bigint;
  digest: string;
}

/**
 * A record of consent.audit (JSON): the signed checkpoint note, and the offset and content digest
 * of every record it chained since the one before. The entries are not signed themselves, but
 * chained from the previous head they must give the signed hash, so they are as good as signed;
 * they let `lethe verify-log` say which record differs, not only that one does.
 */
export interface AuditRecord {
  format: typeof AUDIT_RECORD_FORMAT;
  note: string;
  entries: [offset: string, digest: string][];
}

export function auditRecordValue(note: string, entries: ChainEntry[]): Buffer {
  const record: AuditRecord = { format: AUDIT_RECORD_FORMAT, note, entries: entries.map((e) => [e.offset.toString(), e.digest]) };
  return Buffer.from(JSON.stringify(record), 'utf8');
}

export function parseAuditRecord(value: Buffer | null): { note: string; entries: ChainEntry[] } {
  let record: Partial<AuditRecord>;
  try {
    record = JSON.parse(value?.toString('utf8') ?? '') as Partial<AuditRecord>;
  } catch {
    throw new NoteError('not JSON');
  }
  if (record.format !== AUDIT_RECORD_FORMAT || typeof record.note !== 'string' || !Array.isArray(record.entries)) throw new NoteError(`not a ${AUDIT_RECORD_FORMAT} record`);
  const entries = record.entries.map((entry) => {
    if (!Array.isArray(entry) || !/^(0|[1-9][0-9]{0,18})$/.test(String(entry[0])) || typeof entry[1] !== 'string') throw new NoteError('an entry is not [offset, digest]');
    return { offset: BigInt(entry[0]), digest: entry[1] };
  });
  return { note: record.note, entries };
}
