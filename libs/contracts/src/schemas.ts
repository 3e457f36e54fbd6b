import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The repository's schemas/ folder, the one source of truth for event shapes. */
export const SCHEMA_DIR = resolve(__dirname, '../../../schemas');

export type SchemaName = 'consent-event' | 'consent-state' | 'opt-out-notice';

export function loadSchema(name: SchemaName): string {
  return readFileSync(resolve(SCHEMA_DIR, `${name}.avsc`), 'utf8');
}

/** Avro's full name of a payload record, as it appears in wrapped unions. */
export const PAYLOAD_NAMESPACE = 'io.lethe.consent.v1';
