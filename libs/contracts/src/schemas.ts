import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Where the .avsc files are: next to the compiled code in the published package (build:sdk
 * copies them there), else the repository's schemas/ folder, the one source of truth for event
 * shapes.
 */
export const SCHEMA_DIR = [resolve(__dirname, 'schemas'), resolve(__dirname, '../../../schemas')].find((dir) => existsSync(dir)) ?? resolve(__dirname, '../../../schemas');

export type SchemaName = 'consent-event' | 'consent-state' | 'opt-out-notice';

export function loadSchema(name: SchemaName): string {
  return readFileSync(resolve(SCHEMA_DIR, `${name}.avsc`), 'utf8');
}

/** Avro's full name of a payload record, as it appears in wrapped unions. */
export const PAYLOAD_NAMESPACE = 'io.lethe.consent.v1';
