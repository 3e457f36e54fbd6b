import { createHmac } from 'node:crypto';
import { ConflictException, UnprocessableEntityException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isDatabaseOutage } from '@lethe/config';
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
    const inserted = await this.db.query(
      `insert into idempotency_keys (actor, key, request_hash, status_code, response)
       values ($1, $2, $3, 0, 'null')
       on conflict (actor, key) do update set created_at = now()
        where idempotency_keys.status_code = 0 and idempotency_keys.request_hash = excluded.request_hash
          and idempotency_keys.created_at < now() - make_interval(secs => $4::double precision / 1000)
       returning created_at::text as token, (extract(epoch from created_at) * 1000)::float8 as claimed_ms`,
      [actor, key, requestHash, this.leaseMs],
    );
    if (inserted.length > 0) return { token: inserted[0].token, leaseEndsAt: inserted[0].claimed_ms + this.leaseMs };
    const [row] = await this.db.query(
      `select request_hash, status_code, response,
              ceil(extract(epoch from created_at + make_interval(secs => $3::double precision / 1000) - now()))::int as lease_left_s
         from idempotency_keys where actor = $1 and key = $2`,
      [actor, key, this.leaseMs],
    );
    if (!row) return this.claim(actor, key, requestHash); // released in between: try again
    if (row.request_hash !== requestHash) {
      throw new UnprocessableEntityException(
        key.startsWith('event:')
          ? 'this eventId was already used for a different request'
          : 'this Idempotency-Key was already used for a different request',
      );
    }
    if (row.status_code === 0) throw new KeyInProgressException(Math.max(1, row.lease_left_s));
    return { statusCode: row.status_code, body: row.response };
  }

  /** Stores the response under this claim (not under one a retry made after its lease ended). */
  async complete(actor: string, key: string, claim: Claim, response: StoredResponse): Promise<void> {
    await this.db.query(`update idempotency_keys set status_code = $4, response = $5 where actor = $1 and key = $2 and status_code = 0 and created_at = $3::timestamptz`, [
      actor,
      key,
      claim.token,
      response.statusCode,
      JSON.stringify(response.body),
    ]);
  }

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
