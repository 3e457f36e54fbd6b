import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Requests to a processor and its callbacks to Lethe are signed the same way, with the secret both
 * sides share: HMAC-SHA256 over `<unix seconds>.<raw body>`, sent as
 *
 *   X-Lethe-Timestamp: 1767225600
 *   X-Lethe-Signature: v1=<64 hex digits>
 *
 * The timestamp is inside the MAC, so a captured message cannot be replayed outside the window
 * with a fresh timestamp; `v1=` leaves room for another scheme during a migration.
 */
export const SIGNATURE_HEADERS = {
  timestamp: 'X-Lethe-Timestamp',
  signature: 'X-Lethe-Signature',
} as const;

export const SIGNATURE_VERSION = 'v1';

export type SignatureCheck = 'ok' | 'stale' | 'bad_signature' | 'malformed';

const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^v1=([0-9a-f]{64})$/;

/** The `X-Lethe-Signature` value for this body at this time. */
export function signPayload(secret: string, timestamp: number | string, rawBody: Buffer | string): string {
  return `${SIGNATURE_VERSION}=${mac(secret, String(timestamp), rawBody).toString('hex')}`;
}

export interface SignedMessage {
  secret: string;
  /** The X-Lethe-Timestamp header as received; undefined when absent. */
  timestamp: string | undefined;
  /** The X-Lethe-Signature header as received; undefined when absent. */
  signature: string | undefined;
  /** The body exactly as received: parsing and re-serializing would change the bytes. */
  rawBody: Buffer | string;
  nowSeconds: number;
  /** How far the timestamp may be from now, in either direction. */
  windowSeconds: number;
}

/**
 * Whether the message was signed with the secret, recently. The MAC is checked first, so only a
 * holder of the secret ever learns that a timestamp was out of the window. Future timestamps are
 * bounded too: a clock far ahead would otherwise give a signed message a long life.
 */
export function verifySignature({ secret, timestamp, signature, rawBody, nowSeconds, windowSeconds }: SignedMessage): SignatureCheck {
  const given = signature === undefined ? null : SIGNATURE.exec(signature.trim());
  if (timestamp === undefined || !TIMESTAMP.test(timestamp.trim()) || !given) return 'malformed';
  const expected = mac(secret, timestamp.trim(), rawBody);
  if (!timingSafeEqual(expected, Buffer.from(given[1], 'hex'))) return 'bad_signature';
  return Math.abs(nowSeconds - Number(timestamp.trim())) > windowSeconds ? 'stale' : 'ok';
}

function mac(secret: string, timestamp: string, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}
