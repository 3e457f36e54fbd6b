import type { ErasureScope, Jurisdiction } from '@lethe/contracts';
import type { Identity } from '@lethe/identity-vault';

/** Everything a downstream system needs to find and erase one subject for one request. */
export interface ErasureTarget {
  /**
   * The id this system handles the work under (erasureWorkId / optOutWorkId): its idempotency key.
   * Unique across subjects, so a request id that two subjects share can never make one subject's
   * erasure answer "already done" for the other.
   */
  workId: string;
  /** Opaque subject id (the consent.log key). */
  subjectId: string;
  /** Direct identifiers, decrypted from the request's `identities`; may be empty. */
  identities: Identity[];
  /**
   * True when the request carried identities that can no longer be decrypted: the subject's data
   * key was shredded (KeyShredded, docs/adr/0018). `identities` is then empty.
   */
  identitiesShredded?: boolean;
  scope: ErasureScope;
  /** The purposes to erase when scope is PURPOSES. */
  purposes: string[];
  /** Keep transaction records, without identifiers, instead of deleting them. */
  keepTransactionHistory: boolean;
  /** The request's jurisdiction; a third party is told the regulation (UNSPECIFIED when absent). */
  jurisdiction?: Jurisdiction;
  /** When the subject made the request, epoch ms (the ErasureRequested event's occurred_at). */
  requestedAt?: number;
  /**
   * Set when the work answers a withdrawal, objection or opt-out rather than an erasure request:
   * the action the systems file maps it to, and what caused it (a purpose or an opt-out kind).
   */
  reaction?: { action: 'delete' | 'anonymize' | 'suppress'; cause: string };
}

/** What a system did (or, for a dry run, would do). Holds counts and names, never personal data. */
export interface ErasureOutcome {
  /** delete, anonymize, suppress, tombstone, forwarded, or mixed when several apply. */
  action: string;
  /** Rows, keys or records affected, by table, key pattern or topic. */
  counts: Record<string, number>;
  /** For fields of kept rows: `table.column` → strategy (null, redact, random, year, hmac). */
  strategies: Record<string, string>;
  /** Retention obligations that kept something, with their legal basis; null when none. */
  legalHold: string | null;
  /** True when this request had already been carried out and nothing was done again. */
  alreadyDone: boolean;
  /**
   * True when the system accepted the request but confirms it later (a third party answering
   * through the signed callback): no acknowledgement is appended now, the callback appends it.
   */
  awaitingConfirmation?: boolean;
}

/**
 * One downstream system. Every connector is idempotent: erasing the same request twice acts once
 * and reports the first outcome again (`alreadyDone`).
 */
export interface Connector {
  readonly system: string;
  /**
   * Set by connectors whose system may accept a request and confirm it later (a third party's
   * callback): how long it has to confirm before the step is reported failed.
   */
  readonly confirmationTimeoutMs?: number;
  /** Resolves when the system answers and the configuration matches it (tables, columns exist). */
  testConnection(): Promise<void>;
  erase(target: ErasureTarget): Promise<ErasureOutcome>;
  /** What `erase` would do, changing nothing. */
  dryRun(target: ErasureTarget): Promise<ErasureOutcome>;
  close(): Promise<void>;
}

/**
 * A connector's failure. `retryable` decides what the worker does: retry later with backoff, or
 * report the step failed for good. The message must hold no personal data.
 */
export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The reason of a step that could not look for the subject: see `noIdentityForMatch`. */
export const NO_IDENTITY_FOR_MATCH = 'no_identity_for_match';
/** The same, when the request did carry identities but their key was shredded since. */
export const IDENTITY_SHREDDED = 'identity_shredded';

/**
 * A system that finds the subject by an identity (an e-mail, a phone) got a request carrying none
 * of those types: none was given (`no_identity_for_match`), or the request's identities were
 * crypto-shredded since (`identity_shredded`: a system added later, catching
 * up on an old request). Reporting "done, 0 rows" would certify an erasure nobody could look for;
 * no retry brings the identity back, so it fails for good. Names the types wanted, never a value.
 */
export function noIdentityForMatch(kind: string, system: string, doing: string, types: readonly string[], target: Pick<ErasureTarget, 'identitiesShredded'>): ConnectorError {
  const wanted = types.length > 0 ? types.join(', ') : 'any';
  const why = target.identitiesShredded
    ? `${IDENTITY_SHREDDED}: the request's identities were crypto-shredded (the subject's data key was destroyed: their erasure completed, or their identity retention ended), and this system finds the subject by (${wanted})`
    : `${NO_IDENTITY_FOR_MATCH}: the request carries no identity of the types this system finds the subject by (${wanted})`;
  return new ConnectorError(`${kind} connector "${system}": ${doing} failed: ${why}`, false);
}
