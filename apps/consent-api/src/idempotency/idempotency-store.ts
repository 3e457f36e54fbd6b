import { createHmac } from 'node:crypto';
import { ConflictException, UnprocessableEntityException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BatchedCalls, isDatabaseOutage } from '@lethe/config';
import { deterministicUuid } from '@lethe/contracts';

export interface StoredResponse {
  statusCode: number;
  body: unknown;
}

/** A key this request claimed: which claim it is (its `created_at`), and when its lease ends. */
export interface Claim {
  token: string;
  leaseEndsAt: number;
}

/** A key as stored, when this request did not claim it. */
interface StoredRow {
  request_hash: string;
  status_code: number;
  response: unknown;
  lease_left_s: number;
}

/** What a claim found: this request's claim, the key as another request left it, or no row any more. */
type ClaimFound = Claim | StoredRow | 'released';

/** How often a release the database refused is tried again, while the claim's lease lasts. */
const RELEASE_RETRY_MS = 1_000;

/** A key another request has claimed and not yet answered: 409, and when its lease ends at the latest. */
export class KeyInProgressException extends ConflictException {
  constructor(readonly retryAfterSeconds: number) {
    super({
      error: 'conflict',
      reason: 'idempotency_key_in_progress',
      message: `a request with this Idempotency-Key is still in progress; retry in ${retryAfterSeconds} s at the latest`,
    });
  }
}

/**
 * Remembers the first response to each (service, Idempotency-Key) so a retry gets it again and
 * writes nothing. A key is claimed before the write (status 0) so two concurrent requests with
 * one key cannot both write; a failed write releases it so the client can retry. A claim is a
 * lease (`leaseMs`, from `created_at`): if the process died between claim and completion, a retry
 * after the lease takes the key over instead of hearing "in progress" for ever. The write it then
 * makes has the same event id (derived from the key), so if the first one did land, the fold
 * applies it once. A release the database refused (it was down when the write failed) is tried
 * again every second while the lease lasts, so the client's retry after the outage finds the key free.
 */
export class IdempotencyStore {
  private readonly fingerprintKey: Buffer;

  /** `masterKey` keys the fingerprints of requests, which are stored (see `fingerprint`). */
  constructor(
    private readonly db: DataSource,
    private readonly leaseMs: number,
    masterKey: Buffer,
  ) {
    this.fingerprintKey = createHmac('sha256', masterKey).update('lethe idempotency fingerprint').digest();
  }

  /**
   * A stable fingerprint of what was asked, to catch one key reused for another request. Keyed
   * (HMAC), because a body may hold identities: a plain hash of it, stored, could be confirmed by
   * hashing guesses of an e-mail address.
   */
  fingerprint(route: string, subjectId: string, body: unknown): string {
    return createHmac('sha256', this.fingerprintKey).update(JSON.stringify([route, subjectId, canonical(body)])).digest('hex');
  }

  /** Claims the key, or returns the stored response of the request that claimed it first. */
  async claim(actor: string, key: string, requestHash: string): Promise<Claim | StoredResponse> {
    const found = await this.claims.call({ actor, key, requestHash });
    if (found === 'released') return this.claim(actor, key, requestHash); // released in between: try again
    if ('token' in found) return found;
    if (found.request_hash !== requestHash) {
      throw new UnprocessableEntityException(
        key.startsWith('event:')
          ? 'this eventId was already used for a different request'
          : 'this Idempotency-Key was already used for a different request',
      );
    }
    if (found.status_code === 0) throw new KeyInProgressException(Math.max(1, found.lease_left_s));
    return { statusCode: found.status_code, body: found.response };
  }

  /** Stores the response under this claim (not under one a retry made after its lease ended). */
  async complete(actor: string, key: string, claim: Claim, response: StoredResponse): Promise<void> {
    await this.completions.call({ actor, key, token: claim.token, statusCode: response.statusCode, response: JSON.stringify(response.body) });
  }

  /**
   * The claims of concurrent writes, in two statements for all of them: the insert claims every
   * key that is free or whose claim's lease ended (the first of one key asked twice at once; the
   * statement may not touch a row twice), and the keys it did not claim are read as they are.
   * One batch is out at a time (as for completions): the claims made meanwhile go in the next.
   * Only the first asker of a key in a batch may take over a lapsed claim; another with the lapsed
   * claim's fingerprint hears 409 (retry in 1 s) and takes it over in a later batch.
   * Rows go in key order, so two processes' statements lock them in one order (no deadlock).
   */
  private readonly claims = new BatchedCalls<{ actor: string; key: string; requestHash: string }, ClaimFound>(
    async (asked) => {
      const claimed: { n: number; token: string; claimed_ms: number }[] = await this.db.query(
        `with asked as (select * from unnest($1::text[], $2::text[], $3::text[]) with ordinality as a (actor, key, request_hash, n)),
         claimed as (
           insert into idempotency_keys (actor, key, request_hash, status_code, response)
           select distinct on (actor, key) actor, key, request_hash, 0, 'null' from asked order by actor, key, n
           on conflict (actor, key) do update set created_at = now()
            where idempotency_keys.status_code = 0 and idempotency_keys.request_hash = excluded.request_hash
              and idempotency_keys.created_at < now() - make_interval(secs => $4::double precision / 1000)
           returning actor, key, request_hash, created_at::text as token, (extract(epoch from created_at) * 1000)::float8 as claimed_ms)
         select min(a.n)::int as n, c.token, c.claimed_ms from claimed c join asked a using (actor, key, request_hash) group by c.actor, c.key, c.token, c.claimed_ms`,
        [asked.map((a) => a.actor), asked.map((a) => a.key), asked.map((a) => a.requestHash), this.leaseMs],
      );
      const found: (ClaimFound | undefined)[] = asked.map(() => undefined);
      for (const row of claimed) found[row.n - 1] = { token: row.token, leaseEndsAt: row.claimed_ms + this.leaseMs };
      const others = asked.flatMap((a, n) => (found[n] ? [] : [{ ...a, n }]));
      if (others.length > 0) {
        const rows: (StoredRow & { actor: string; key: string })[] = await this.db.query(
          `select actor, key, request_hash, status_code, response,
                  ceil(extract(epoch from created_at + make_interval(secs => $3::double precision / 1000) - now()))::int as lease_left_s
             from idempotency_keys where (actor, key) in (select * from unnest($1::text[], $2::text[]))`,
          [others.map((o) => o.actor), others.map((o) => o.key), this.leaseMs],
        );
        const stored = new Map(rows.map((row) => [JSON.stringify([row.actor, row.key]), row]));
        for (const other of others) found[other.n] = stored.get(JSON.stringify([other.actor, other.key])) ?? 'released';
      }
      return found as ClaimFound[];
    },
  );

  /** Rows locked in key order first, as the claims lock them, so a claim and a completion never deadlock. */
  private readonly completions = new BatchedCalls<{ actor: string; key: string; token: string; statusCode: number; response: string }, void>(
    async (done) => {
      await this.db.query(
        `with d as (select * from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[]) as d (actor, key, token, status_code, response)),
         mine as (
           select k.actor, k.key from idempotency_keys k join d on k.actor = d.actor and k.key = d.key
            where k.status_code = 0 and k.created_at = d.token::timestamptz
            order by k.actor, k.key for update of k)
         update idempotency_keys k set status_code = d.status_code, response = d.response::jsonb
           from d join mine using (actor, key)
          where k.actor = d.actor and k.key = d.key and k.status_code = 0 and k.created_at = d.token::timestamptz`,
        [done.map((d) => d.actor), done.map((d) => d.key), done.map((d) => d.token), done.map((d) => d.statusCode), done.map((d) => d.response)],
      );
      return done.map(() => undefined);
    },
  );

  /**
   * Frees the key of a write that failed, so the client's retry can make it: this claim only,
   * never one a retry made after its lease ended. A release the database refused is tried again
   * every second until the lease ends (after it, a retry takes the key over anyway).
   */
  async release(actor: string, key: string, claim: Claim): Promise<void> {
    try {
      await this.db.query(`delete from idempotency_keys where actor = $1 and key = $2 and status_code = 0 and created_at = $3::timestamptz`, [actor, key, claim.token]);
    } catch (error) {
      if (!isDatabaseOutage(error) || Date.now() + RELEASE_RETRY_MS >= claim.leaseEndsAt) throw error;
      setTimeout(() => void this.release(actor, key, claim).catch(() => undefined), RELEASE_RETRY_MS).unref();
      throw error;
    }
  }
}

/**
 * How long a claim holds: well past the longest a write can take (it waits for the broker at most
 * LETHE_BROKER_TIMEOUT_MS), so a live request is never taken over, and a dead one soon is.
 */
export function idempotencyLeaseMs(config: { brokerTimeoutMs: number }): number {
  return Math.max(30_000, 3 * config.brokerTimeoutMs);
}

/**
 * The event id of a keyed request: derived from the service and its key, so even a write whose
 * acknowledgement was lost and is sent again carries the same id, which the fold ignores.
 */
export function eventIdFor(actor: string, key: string): string {
  return deterministicUuid('idempotency-key', actor, key);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
