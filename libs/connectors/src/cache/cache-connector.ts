import Redis from 'ioredis';
import { noIdentityForMatch, type Connector, type ErasureOutcome, type ErasureTarget } from '../connector';
import { CacheLedger, RecordedOutcome } from './cache-ledger';
import { CacheConnectorConfig, validateCacheConfig } from './cache-config';
import { escapeGlob, fillTemplate, missingIdentityTypes, parseTemplate, TemplatePart } from './key-template';
import { toConnectorError } from './redis-errors';

/** Keys SCAN looks at per call: large enough to finish quickly, small enough never to block Redis. */
export const SCAN_COUNT = 1000;

interface ParsedTemplate {
  text: string;
  parts: TemplatePart[];
}

/**
 * A Redis cache, erased by deleting the subject's keys: exact keys with DEL, key patterns by
 * SCAN + UNLINK (UNLINK frees large values off the main thread). Counts are reported per
 * template text, never per filled-in key, since a key holds the subject's id.
 *
 * Deleting is idempotent by nature; the ledger (cache-ledger.ts) adds the report: the same
 * request twice acts once and returns the first outcome with `alreadyDone`.
 *
 * The scope is not consulted: cached copies belong to the person, not to a purpose, so a
 * PURPOSES erasure routed here drops everything this cache holds on the subject.
 */
export class CacheConnector implements Connector {
  readonly system: string;
  private readonly config: CacheConnectorConfig;
  private readonly redis: Redis;
  private readonly ledger: CacheLedger;
  private readonly keys: ParsedTemplate[];
  private readonly patterns: ParsedTemplate[];

  /** Validates `config` (throws CacheConfigError naming each bad key) and connects lazily. */
  constructor(config: unknown) {
    this.config = validateCacheConfig(config);
    this.system = this.config.system;
    const parse = (text: string): ParsedTemplate => ({ text, parts: parseTemplate(text) });
    this.keys = this.config.keys.map(parse);
    this.patterns = this.config.patterns.map(parse);
    this.redis = new Redis(this.config.url, {
      lazyConnect: true,
      connectTimeout: 5_000,
      commandTimeout: 30_000,
      // Fail a command after one reconnect attempt instead of queueing it for minutes: the
      // worker's backoff, not the driver, decides when to try again.
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      // On close, a socket that already failed never reports "close" again; ioredis waits this
      // long before destroying it anyway (default 2 s), keeping the process alive meanwhile.
      disconnectTimeout: 200,
    });
    // Connection errors are also emitted here; the failing command reports them. Unhandled,
    // ioredis would log each reconnect attempt.
    this.redis.on('error', () => undefined);
    this.ledger = new CacheLedger(this.redis, this.system);
  }

  async testConnection(): Promise<void> {
    await this.run('test connection', () => this.redis.ping());
  }

  erase(target: ErasureTarget): Promise<ErasureOutcome> {
    return this.run('erase', () => this.carryOut(target, true, 'erase'));
  }

  dryRun(target: ErasureTarget): Promise<ErasureOutcome> {
    return this.run('dry run', () => this.carryOut(target, false, 'dry run'));
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  private async carryOut(target: ErasureTarget, commit: boolean, doing: string): Promise<ErasureOutcome> {
    const earlier = await this.ledger.find(target.workId);
    if (earlier) return { ...earlier, alreadyDone: true };
    // All templates or none: one that needs a missing identity fails the step before any key
    // is deleted, rather than leaving it half done and reported complete.
    const missing = missingIdentityTypes([...this.keys, ...this.patterns].map(({ parts }) => parts), target);
    if (missing.length > 0) throw noIdentityForMatch('cache', this.system, doing, missing, target);

    const counts: Record<string, number> = {};
    for (const { text, parts } of this.keys) counts[text] = await this.deleteKeys(fillTemplate(parts, target), commit);
    for (const { text, parts } of this.patterns) counts[text] = await this.deleteMatches(fillTemplate(parts, target, escapeGlob), commit);
    const outcome: RecordedOutcome = { action: 'delete', counts, strategies: {}, legalHold: null };

    if (commit && !(await this.ledger.record(target.workId, outcome))) {
      // A concurrent run of the same request recorded first; its outcome is the one reported.
      const first = await this.ledger.find(target.workId);
      if (first) return { ...first, alreadyDone: true };
    }
    return { ...outcome, alreadyDone: false };
  }

  /** Deleted (or, rehearsing, existing) keys among `keys`. */
  private async deleteKeys(keys: string[], commit: boolean): Promise<number> {
    if (keys.length === 0) return 0;
    return commit ? this.redis.del(...keys) : this.redis.exists(...keys);
  }

  /**
   * Keys matching any of `patterns`, unlinked batch by batch while scanning (Redis allows
   * deleting during a SCAN, and every key present throughout is still returned). SCAN may return
   * a key twice, so the count is UNLINK's, or when rehearsing, the distinct keys seen.
   */
  private async deleteMatches(patterns: string[], commit: boolean): Promise<number> {
    let deleted = 0;
    const seen = new Set<string>();
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
        cursor = next;
        if (keys.length === 0) continue;
        if (commit) deleted += await this.redis.unlink(...keys);
        else keys.forEach((key) => seen.add(key));
      } while (cursor !== '0');
    }
    return commit ? deleted : seen.size;
  }

  private async run<T>(doing: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toConnectorError(error, this.system, doing);
    }
  }
}
