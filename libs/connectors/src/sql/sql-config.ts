import { FIELD_STRATEGIES, type FieldStrategy } from '@lethe/consent-domain';
import type { Identity } from '@lethe/identity-vault';

/**
 * Configuration of one PostgreSQL system, as plain data (a third-party database is configuration,
 * not code). Checked once by `validateSqlConfig`; everything below assumes a validated value.
 *
 * ```yaml
 * system: shop-db
 * url: postgres://lethe:secret@shop-db:5432/shop
 * schema: public                        # optional; otherwise the connection's search_path
 * hmacSecret: ${SHOP_HMAC_SECRET}       # needed only when a field uses "hmac"
 * subject: { table: customers, column: external_id, match: subject_id }   # or identity:email, ...
 * tables:
 *   - { name: customers, root: true, action: delete }
 *   - { name: addresses, via: { column: customer_id, references: customers.id }, action: delete }
 *   - name: orders
 *     via: { column: customer_id, references: customers.id }
 *     action: anonymize
 *     fields: { customer_id: null, shipping_name: redact, shipping_address: hmac, ordered_at: year }
 *   - name: reviews                      # deleted, unless the request keeps transaction history
 *     via: { column: customer_id, references: customers.id }
 *     action: delete
 *     whenKeepingHistory: anonymize
 *     fields: { author: redact }
 *   - name: invoices                     # never deleted: only the listed fields are anonymized
 *     via: { column: order_id, references: orders.id }
 *     legalHold: { basis: "HGB §257: invoices kept 10 years", fields: { billing_email: null } }
 * ```
 *
 * Rows of a `via` table are those whose `column` holds a `references` value of the subject's rows
 * in the parent table, to any depth. Tables are processed children first, so a parent's rows (and
 * the columns its children join on) are still there while its children are found.
 */
export interface SqlConnectorConfig {
  system: string;
  /** postgres:// or postgresql:// URL of the system's database. */
  url: string;
  /** Schema holding the tables and the ledger; the connection's search_path when absent. */
  schema?: string;
  /**
   * Key of the "hmac" strategy, this system's own. Pseudonyms stay joinable across tables, and
   * without the key nobody can test a guess against them.
   */
  hmacSecret?: string;
  subject: SubjectMatch;
  tables: SqlTableConfig[];
  /** Milliseconds to wait for a connection before calling the system unreachable. */
  connectTimeoutMs?: number;
  /** Milliseconds one statement may run before it is cancelled (and the work retried later). */
  statementTimeoutMs?: number;
  poolSize?: number;
  /**
   * At most this many steps share one transaction when they arrive while every connection is busy
   * (erased set-wise, each in a savepoint after a failure; 1 gives every step a transaction to itself). 1 to MAX_STEPS_PER_TRANSACTION, default DEFAULT_STEPS_PER_TRANSACTION.
   */
  stepsPerTransaction?: number;
}

export type SubjectKey = 'subject_id' | `identity:${Identity['type']}`;

/** How the subject's row is found in the root table. */
export interface SubjectMatch {
  table: string;
  column: string;
  /** The value compared: the target's subjectId, or every identity of that type it carries. */
  match: SubjectKey;
}

/** What an anonymized row's field becomes; `hmac` pseudonymizes (see consent-domain's field-strategies). */
export type AnonymizeStrategy = FieldStrategy;

export const ANONYMIZE_STRATEGIES = FIELD_STRATEGIES;

/** Column → strategy. In YAML `null` arrives as a real null; both spellings mean the strategy. */
export type FieldStrategies = Record<string, AnonymizeStrategy>;

export interface JoinPath {
  /** Column of this table holding the parent's key. */
  column: string;
  /** `<parent table>.<column>`; the parent must be in `tables`. */
  references: string;
}

export interface SqlTableConfig {
  name: string;
  /** The subject table (`subject.table`); exactly one table is the root. */
  root?: boolean;
  via?: JoinPath;
  /** Required unless the table is under a legal hold (which implies anonymize). */
  action?: 'delete' | 'anonymize';
  /** What to anonymize, for `action: anonymize` or `whenKeepingHistory: anonymize`. */
  fields?: FieldStrategies;
  /** A deleted table whose rows are transactions: anonymize instead when the request keeps them. */
  whenKeepingHistory?: 'anonymize';
  legalHold?: LegalHold;
}

export interface LegalHold {
  /** The retention obligation, reported in the outcome, e.g. "HGB §257: invoices kept 10 years". */
  basis: string;
  fields: FieldStrategies;
}

/** Names that reach SQL text; anything else could break out of the quotes or hide a typo. */
export const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export const REDACTED_TEXT = '[erased]';

/**
 * Steps per shared transaction. Each step's savepoint that writes takes a subtransaction id, and
 * PostgreSQL keeps only 64 per transaction in shared memory before every other session's
 * snapshots must look them up on disk (subtransaction overflow): stay well below.
 */
export const DEFAULT_STEPS_PER_TRANSACTION = 32;
export const MAX_STEPS_PER_TRANSACTION = 64;
