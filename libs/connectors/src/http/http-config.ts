import { IDENTITY_TYPES, Identity } from '@lethe/identity-vault';
import { ConnectorError } from '../connector';

/**
 * Configuration of one third-party processor reached over HTTP with OpenDSR-shaped requests,
 * signed with a shared secret. Checked once by `validateHttpConfig`.
 *
 * ```yaml
 * system: mail-vendor
 * url: https://privacy.mail-vendor.example/v1/opendsr_requests   # receives the signed POST
 * secret: 7c0f9b2e4d6a8c1e3f5a7b9d                                  # shared HMAC secret, 16+ chars
 * callbackUrl: https://lethe.example/v1/processors/mail-vendor/callbacks   # optional
 * identities: [email, customer_id]   # optional; every identity the request carries when absent
 * timeoutMs: 10000                   # optional; longest wait for the processor's answer
 * replayWindowSeconds: 300           # optional; callbacks signed further from now are refused
 * confirmationTimeoutSeconds: 604800 # optional; an accepted request not confirmed by then fails
 * ```
 *
 * The secret signs every request and authenticates every callback, so neither it nor the URL
 * (which some processors give per customer) ever appears in a message.
 */
export interface HttpConnectorConfig {
  system: string;
  /** http:// or https:// endpoint that receives the requests; no user:password part. */
  url: string;
  /** Shared HMAC-SHA256 secret for requests and callbacks. */
  secret: string;
  /** The status callback URL advertised in `status_callback_urls`; none advertised when absent. */
  callbackUrl: string | null;
  /** Identity types sent to the processor; null sends every identity the request carries. */
  identities: Identity['type'][] | null;
  timeoutMs: number;
  /** How far a callback's timestamp may be from now, either way, in seconds. */
  replayWindowSeconds: number;
  /** How long an accepted request may wait for the processor's final callback, in seconds. */
  confirmationTimeoutSeconds: number;
}

// A week to confirm: time for a processor's own queue, and well inside the shortest legal deadline
// (a month under the GDPR), so a silent processor shows up as failed while there is time to act.
export const HTTP_DEFAULTS = { timeoutMs: 10_000, replayWindowSeconds: 300, confirmationTimeoutSeconds: 7 * 86_400 } as const;
export const MIN_SECRET_LENGTH = 16;

/** A configuration the connector refuses; each issue starts with the key path it is about. */
export class HttpConfigError extends ConnectorError {
  constructor(readonly issues: string[]) {
    super(`invalid http connector configuration: ${issues.join('; ')}`, false);
  }
}

const TOP_KEYS = ['system', 'url', 'secret', 'callbackUrl', 'identities', 'timeoutMs', 'replayWindowSeconds', 'confirmationTimeoutSeconds'];

/** Checks `raw` against `HttpConnectorConfig`, collecting every issue before refusing. */
export function validateHttpConfig(raw: unknown): HttpConnectorConfig {
  if (!isObject(raw)) throw new HttpConfigError(['(root): must be an object']);
  const issues: string[] = [];
  const fail = (path: string, problem: string) => issues.push(`${path}: ${problem}`);

  for (const key of Object.keys(raw)) if (!TOP_KEYS.includes(key)) fail(key, 'unknown key');
  if (typeof raw.system !== 'string' || raw.system.trim() === '') fail('system', 'must be a non-empty string');
  checkUrl(raw.url, 'url', fail);
  if (raw.callbackUrl !== undefined) checkUrl(raw.callbackUrl, 'callbackUrl', fail);
  // The value is never quoted: a near-miss secret is still a secret.
  if (typeof raw.secret !== 'string' || raw.secret.length < MIN_SECRET_LENGTH) {
    fail('secret', `must be a string of at least ${MIN_SECRET_LENGTH} characters`);
  }
  const identities = identityTypes(raw.identities, fail);
  const timeoutMs = positiveInteger(raw.timeoutMs, 'timeoutMs', HTTP_DEFAULTS.timeoutMs, 600_000, fail);
  const replayWindowSeconds = positiveInteger(raw.replayWindowSeconds, 'replayWindowSeconds', HTTP_DEFAULTS.replayWindowSeconds, 86_400, fail);
  const confirmationTimeoutSeconds = positiveInteger(raw.confirmationTimeoutSeconds, 'confirmationTimeoutSeconds', HTTP_DEFAULTS.confirmationTimeoutSeconds, 90 * 86_400, fail);

  if (issues.length > 0) throw new HttpConfigError(issues);
  return {
    system: raw.system as string,
    url: raw.url as string,
    secret: raw.secret as string,
    callbackUrl: (raw.callbackUrl as string | undefined) ?? null,
    identities,
    timeoutMs,
    replayWindowSeconds,
    confirmationTimeoutSeconds,
  };
}

function checkUrl(value: unknown, path: string, fail: (path: string, problem: string) => void): void {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return fail(path, 'must be an http:// or https:// URL');
  // fetch refuses such URLs, and the shared secret is the credential; a password here would
  // only end up in places that quote URLs.
  if (url.username || url.password) fail(path, 'must not hold a user or password (requests are authenticated by the signature)');
}

function identityTypes(raw: unknown, fail: (path: string, problem: string) => void): Identity['type'][] | null {
  if (raw === undefined) return null;
  if (!Array.isArray(raw) || raw.length === 0) {
    fail('identities', `must be a non-empty list of identity types (${IDENTITY_TYPES.join(', ')})`);
    return null;
  }
  raw.forEach((type: unknown, i) => {
    if (!(IDENTITY_TYPES as unknown[]).includes(type)) fail(`identities[${i}]`, `must be one of ${IDENTITY_TYPES.join(', ')}`);
    else if (raw.indexOf(type) !== i) fail(`identities[${i}]`, `"${type as string}" is listed twice`);
  });
  return raw as Identity['type'][];
}

function positiveInteger(raw: unknown, path: string, fallback: number, max: number, fail: (path: string, problem: string) => void): number {
  if (raw === undefined) return fallback;
  if (!Number.isInteger(raw) || (raw as number) < 1 || (raw as number) > max) {
    fail(path, `must be a whole number from 1 to ${max}`);
    return fallback;
  }
  return raw as number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
