import { createHmac } from 'node:crypto';
import { signPayload, verifySignature } from './signature';

const secret = 'processor-shared-secret-0123456789';
const now = 1_767_225_600;
const body = JSON.stringify({ subject_request_id: 'dsr-1', request_status: 'completed' });

function check(overrides: Partial<Parameters<typeof verifySignature>[0]> = {}) {
  const timestamp = String(now);
  return verifySignature({ secret, timestamp, signature: signPayload(secret, timestamp, body), rawBody: body, nowSeconds: now, windowSeconds: 300, ...overrides });
}

describe('signPayload', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body>", hex, after "v1="', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body}`).digest('hex');
    expect(signPayload(secret, now, body)).toBe(`v1=${expected}`);
    expect(signPayload(secret, String(now), Buffer.from(body))).toBe(`v1=${expected}`);
  });
});

describe('verifySignature', () => {
  it('accepts the signature of the body at this time', () => {
    expect(check()).toBe('ok');
    expect(check({ rawBody: Buffer.from(body) })).toBe('ok');
  });

  it('refuses a tampered body', () => {
    expect(check({ rawBody: body.replace('completed', 'cancelled') })).toBe('bad_signature');
    expect(check({ rawBody: `${body} ` })).toBe('bad_signature');
  });

  it('refuses a signature made with another secret', () => {
    expect(check({ signature: signPayload('another-secret-of-enough-length', now, body) })).toBe('bad_signature');
  });

  it('refuses a timestamp changed after signing', () => {
    expect(check({ timestamp: String(now + 1) })).toBe('bad_signature');
  });

  it('accepts a timestamp at the edge of the window and refuses one beyond it, either way', () => {
    const at = (timestamp: number) => check({ timestamp: String(timestamp), signature: signPayload(secret, timestamp, body) });
    expect(at(now - 300)).toBe('ok');
    expect(at(now + 300)).toBe('ok');
    expect(at(now - 301)).toBe('stale');
    expect(at(now + 301)).toBe('stale');
  });

  it.each([
    ['no timestamp', { timestamp: undefined }],
    ['no signature', { signature: undefined }],
    ['an ISO timestamp', { timestamp: '2026-01-01T00:00:00Z' }],
    ['a negative timestamp', { timestamp: '-5' }],
    ['an unknown scheme', { signature: `v2=${'a'.repeat(64)}` }],
    ['a short digest', { signature: 'v1=abc123' }],
    ['a base64 digest', { signature: `v1=${Buffer.alloc(32).toString('base64')}` }],
    ['upper-case hex', { signature: `v1=${'A'.repeat(64)}` }],
  ])('calls %s malformed', (_what, overrides) => {
    expect(check(overrides)).toBe('malformed');
  });
});
