import { ConnectorError } from '../connector';
import { parseTemplate, TemplateError } from './key-template';

/**
 * Configuration of one Redis cache, as plain data. Checked once by `validateCacheConfig`.
 *
 * ```yaml
 * system: session-cache
 * url: redis://:${SESSION_CACHE_PASSWORD}@session-cache:6379/0   # or rediss:// for TLS
 * keys:                                  # exact keys, deleted with DEL
 *   - session:{subjectId}
 *   - profile:{identity:email}           # a request without an email fails (see below)
 * patterns:                              # SCAN MATCH patterns, every match is unlinked
 *   - cart:{subjectId}:*
 *   - recent:{identity:customer_id}:*
 * ```
 *
 * All templates or none: when one needs an identity the request does not carry, the step fails for
 * good (`no_identity_for_match`, or `identity_shredded`) before any key is deleted. Keep
 * identity-keyed data in a system of its own if many requests come without that identity.
 *
 * Values filled into `patterns` are glob-escaped, so only the template's own `*`, `?` and `[…]`
 * act as wildcards. A single Redis node (or a primary) is assumed; Redis Cluster is not supported.
 */
export interface CacheConnectorConfig {
  system: string;
  /** redis:// or rediss:// URL; may hold a password, so it never appears in a message. */
  url: string;
  /** Templates of exact keys. */
  keys: string[];
  /** Templates of SCAN MATCH patterns. */
  patterns: string[];
}

/** A configuration the connector refuses; each issue starts with the key path it is about. */
export class CacheConfigError extends ConnectorError {
  constructor(readonly issues: string[]) {
    super(`invalid cache connector configuration: ${issues.join('; ')}`, false);
  }
}

const TOP_KEYS = ['system', 'url', 'keys', 'patterns'];

/** Checks `raw` against `CacheConnectorConfig`, collecting every issue before refusing. */
export function validateCacheConfig(raw: unknown): CacheConnectorConfig {
  if (!isObject(raw)) throw new CacheConfigError(['(root): must be an object']);
  const issues: string[] = [];
  const fail = (path: string, problem: string) => issues.push(`${path}: ${problem}`);

  for (const key of Object.keys(raw)) if (!TOP_KEYS.includes(key)) fail(key, 'unknown key');
  if (typeof raw.system !== 'string' || raw.system.trim() === '') fail('system', 'must be a non-empty string');
  if (typeof raw.url !== 'string' || !/^rediss?:\/\/\S+$/.test(raw.url)) fail('url', 'must be a redis:// or rediss:// URL');

  const keys = templates(raw.keys, 'keys', fail);
  const patterns = templates(raw.patterns, 'patterns', fail);
  if (keys.length + patterns.length === 0) fail('keys', 'keys and patterns must hold at least one template between them');

  // Counts are reported by template text, so one text may appear only once across both lists.
  const seen = new Set<string>();
  for (const { template, path } of [...keys, ...patterns]) {
    if (seen.has(template)) fail(path, `duplicate template "${template}"`);
    seen.add(template);
  }

  if (issues.length > 0) throw new CacheConfigError(issues);
  const texts = (list: Located[]) => list.map(({ template }) => template);
  return { system: raw.system as string, url: raw.url as string, keys: texts(keys), patterns: texts(patterns) };
}

interface Located {
  template: string;
  path: string;
}

/** The list's valid templates, each with its key path for later checks. */
function templates(raw: unknown, path: string, fail: (path: string, problem: string) => void): Located[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    fail(path, 'must be a list of templates');
    return [];
  }
  const valid: Located[] = [];
  raw.forEach((template: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof template !== 'string') return fail(at, `must be a string, not ${describe(template)}`);
    try {
      parseTemplate(template);
      valid.push({ template, path: at });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      fail(at, error.message);
    }
  });
  return valid;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
