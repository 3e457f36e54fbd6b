import { createHash } from 'node:crypto';
import { canonicalJson } from './replay';

/** SHA-256 (hex) of the canonical JSON of what a system reported: the evidence hash of its step. */
export function evidenceHash(evidence: unknown): string {
  return createHash('sha256').update(canonicalJson(evidence)).digest('hex');
}
