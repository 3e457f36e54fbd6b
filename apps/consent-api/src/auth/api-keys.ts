import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';

export const ACTIONS = ['consent:write', 'objection:write', 'optout:write', 'erasure:write', 'gpc:write', 'read'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Scopes {
  actions: Action[];
  /** Purposes this key may write; '*' for all. */
  purposes: string[];
}

export interface Principal {
  keyId: string;
  /** The producing service; recorded as the actor of every event it writes. */
  service: string;
  scopes: Scopes;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function allows(principal: Principal, action: Action, purposes: string[] = []): boolean {
  const { actions, purposes: allowed } = principal.scopes;
  return actions.includes(action) && (allowed.includes('*') || purposes.every((p) => allowed.includes(p)));
}

/**
 * API keys per producing service. Only a SHA-256 of each key is stored (keys are 256 random
 * bits, so a plain hash is enough); the key itself is shown once, when created. Lookups are
 * cached for `cacheMs` (LETHE_API_KEY_CACHE_MS, default DEFAULT_CACHE_MS), so a key revoked
 * anywhere (the CLI, another instance) stops working here within that bound, and a busy key costs
 * one query per bound instead of one per request. Concurrent lookups of one key share a query.
 */
export class ApiKeyStore {
  static readonly DEFAULT_CACHE_MS = 5_000;
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();
  private readonly lookups = new Map<string, Promise<Principal | null>>();

  constructor(
    private readonly db: DataSource,
    private readonly cacheMs = ApiKeyStore.DEFAULT_CACHE_MS,
  ) {}

  async create(service: string, scopes: Scopes): Promise<{ keyId: string; key: string }> {
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(service)) {
      throw new Error('service must be lower-case letters, digits and dashes, starting with a letter');
    }
    const keyId = randomBytes(6).toString('hex');
    const key = `lethe_${keyId}_${randomBytes(32).toString('base64url')}`;
    await this.db.query(`insert into api_keys (id, service, key_hash, scopes) values ($1, $2, $3, $4)`, [
      keyId,
      service,
      hashKey(key),
      JSON.stringify(scopes),
    ]);
    return { keyId, key };
  }

  async revoke(keyId: string): Promise<boolean> {
    const [, affected] = await this.db.query(`update api_keys set revoked_at = now() where id = $1 and revoked_at is null`, [keyId]);
    this.cache.clear();
    return affected > 0;
  }

  async list(): Promise<{ id: string; service: string; scopes: Scopes; createdAt: Date; revokedAt: Date | null }[]> {
    const rows = await this.db.query(`select id, service, scopes, created_at, revoked_at from api_keys order by created_at`);
    return rows.map((r: Record<string, never>) => ({
      id: r.id,
      service: r.service,
      scopes: r.scopes,
      createdAt: r.created_at,
      revokedAt: r.revoked_at,
    }));
  }

  /** The principal of a key looked up within `cacheMs`, null for a key found invalid, undefined when not known. */
  cached(key: string): Principal | null | undefined {
    return this.cachedByHash(hashKey(key));
  }

  async authenticate(key: string): Promise<Principal | null> {
    const hash = hashKey(key);
    const cached = this.cachedByHash(hash);
    if (cached !== undefined) return cached;
    let lookup = this.lookups.get(hash);
    if (!lookup) {
      lookup = this.lookUp(hash).finally(() => this.lookups.delete(hash));
      this.lookups.set(hash, lookup);
    }
    return lookup;
  }

  private cachedByHash(hash: string): Principal | null | undefined {
    const cached = this.cache.get(hash);
    return cached && cached.until > Date.now() ? cached.principal : undefined;
  }

  private async lookUp(hash: string): Promise<Principal | null> {
    // The bound counts from before the query: a revocation committed while it runs is seen within cacheMs.
    const until = Date.now() + this.cacheMs;
    const [row] = await this.db.query(`select id, service, scopes from api_keys where key_hash = $1 and revoked_at is null`, [hash]);
    const principal = row ? { keyId: row.id, service: row.service, scopes: row.scopes as Scopes } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until });
    return principal;
  }
}
