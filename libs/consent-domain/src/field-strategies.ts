/**
 * What a kept field became when an erasure anonymized its row (the `strategies` of a step:
 * `table.column` → strategy). GDPR draws the line here: anonymous data is no longer personal
 * data (recital 26), pseudonymous data still is (Art. 4(5)), so a certificate must not call a
 * pseudonym anonymous.
 *
 * - anonymizing: nothing of the value is left that leads back to the person: `null`, `redact`
 *   (fixed text), `random` (a fresh value per row), `year` (a date coarsened to its year).
 * - pseudonymizing: `hmac`, a hash keyed by the system's secret. Equal values stay equal, so rows
 *   of one person stay linkable, and whoever holds the key can test a guess.
 *
 * An unkeyed hash (`sha256`) is not offered: over a guessable value (an e-mail, a name) anyone
 * reverses it by hashing candidates (ADR 0009). Steps recorded before may still name it.
 */
export const ANONYMIZING_STRATEGIES = ['null', 'redact', 'random', 'year'] as const;
export const PSEUDONYMIZING_STRATEGIES = ['hmac'] as const;

export type FieldStrategy = (typeof ANONYMIZING_STRATEGIES)[number] | (typeof PSEUDONYMIZING_STRATEGIES)[number];

/** The strategies a system may be configured with. */
export const FIELD_STRATEGIES: readonly FieldStrategy[] = [...ANONYMIZING_STRATEGIES, ...PSEUDONYMIZING_STRATEGIES];

export function isAnonymizing(strategy: string): boolean {
  return (ANONYMIZING_STRATEGIES as readonly string[]).includes(strategy);
}

/**
 * The fields of a step, sorted, split by what their strategy does. A strategy not known to
 * anonymize (`sha256` of older steps, any other name) counts as pseudonymized: a certificate
 * never claims more than was done.
 */
export function classifyFields(strategies: Readonly<Record<string, string>>): { pseudonymized: string[]; anonymized: string[] } {
  const fields = Object.keys(strategies).sort();
  return {
    pseudonymized: fields.filter((field) => !isAnonymizing(strategies[field])),
    anonymized: fields.filter((field) => isAnonymizing(strategies[field])),
  };
}
