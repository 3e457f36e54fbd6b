import type { SystemEntry } from '../systems-file';
import { HttpConfigError, validateHttpConfig } from './http-config';
import { httpConfigFromEntry } from './system-entry';

const SECRET = 'a-shared-secret-of-32-characters';
const valid = { system: 'mail-vendor', url: 'https://vendor.example/v1/opendsr_requests', secret: SECRET };

function refusal(raw: unknown): HttpConfigError {
  try {
    validateHttpConfig(raw);
  } catch (caught) {
    if (caught instanceof HttpConfigError) return caught;
    throw caught;
  }
  throw new Error('the configuration was accepted');
}

describe('validateHttpConfig', () => {
  it('fills the defaults of a minimal configuration', () => {
    expect(validateHttpConfig(valid)).toEqual({ ...valid, callbackUrl: null, identities: null, timeoutMs: 10_000, replayWindowSeconds: 300, confirmationTimeoutSeconds: 604_800 });
  });

  it('keeps every optional setting it is given', () => {
    const full = { ...valid, callbackUrl: 'http://127.0.0.1:3000/v1/processors/mail-vendor/callbacks', identities: ['email', 'customer_id'], timeoutMs: 2500, replayWindowSeconds: 60, confirmationTimeoutSeconds: 3600 };
    expect(validateHttpConfig(full)).toEqual(full);
  });

  it.each([
    [{ ...valid, url: 'ftp://vendor.example' }, /url: must be an http:\/\/ or https:\/\/ URL/],
    [{ ...valid, url: 'not a url' }, /url: must be an http/],
    [{ ...valid, url: 'https://user:pw@vendor.example/x' }, /url: must not hold a user or password/],
    [{ ...valid, callbackUrl: 'lethe.example/cb' }, /callbackUrl: must be an http/],
    [{ ...valid, secret: 'short' }, /secret: must be a string of at least 16 characters/],
    [{ ...valid, secret: undefined }, /secret: must be a string/],
    [{ ...valid, identities: [] }, /identities: must be a non-empty list/],
    [{ ...valid, identities: ['email', 'ssn'] }, /identities\[1\]: must be one of email/],
    [{ ...valid, identities: ['email', 'email'] }, /identities\[1\]: "email" is listed twice/],
    [{ ...valid, timeoutMs: 0 }, /timeoutMs: must be a whole number from 1 to/],
    [{ ...valid, replayWindowSeconds: 1.5 }, /replayWindowSeconds: must be a whole number/],
    [{ ...valid, confirmationTimeoutSeconds: 91 * 86_400 }, /confirmationTimeoutSeconds: must be a whole number from 1 to 7776000/],
    [{ ...valid, system: ' ' }, /system: must be a non-empty string/],
    [{ ...valid, secrett: SECRET }, /secrett: unknown key/],
    [null, /\(root\): must be an object/],
  ])('refuses %j naming the key', (raw, message) => {
    expect(() => validateHttpConfig(raw)).toThrow(message);
  });

  it('lists every issue in one non-retryable error, never quoting the secret', () => {
    const almost = 'fifteen-chars!!';
    const error = refusal({ system: 'x', url: 'https://a:b@h', secret: almost, timeoutMs: -1 });
    expect(error.retryable).toBe(false);
    expect(error.issues).toHaveLength(3);
    expect(error.message).not.toContain(almost);
    expect(error.message).not.toContain('a:b');
  });
});

describe('httpConfigFromEntry', () => {
  const entry = (raw: Record<string, unknown>): SystemEntry => ({
    name: 'mail-vendor',
    type: 'http',
    path: 'systems[2]',
    raw: { name: 'mail-vendor', type: 'http', onOptOut: { SALE: 'suppress' }, ...raw },
    reactions: { SALE: 'suppress' },
  });

  it('takes the system from the entry name and the rest from its keys', () => {
    expect(httpConfigFromEntry(entry({ url: valid.url, secret: SECRET, timeoutMs: 5000 }))).toMatchObject({ ...valid, timeoutMs: 5000 });
  });

  it("names the entry's place in the file in every issue", () => {
    expect(() => httpConfigFromEntry(entry({ url: valid.url, secret: 'x', retries: 3 }))).toThrow(/systems\[2\]\.retries: unknown key; systems\[2\]\.secret: must be/);
  });
});
