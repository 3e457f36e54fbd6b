import { createHash } from 'node:crypto';
import { findIdentifiers } from './raw-scan';

// The scan that proves shredded identifiers are nowhere must be able to find them: each form,
// embedded in longer bytes at any alignment.
const email = 'ada.lovelace@example.com';
const phone = '+44 20 7946 0958';

const inside = (text: string | Buffer) => Buffer.concat([Buffer.from('{"x":"'), Buffer.from(text), Buffer.from('"}')]);

describe('findIdentifiers', () => {
  it.each([
    ['clear', inside(email)],
    ['upper case', inside(email.toUpperCase())],
    ['utf-16', inside(Buffer.from(email, 'utf16le'))],
    ['hex', inside(`\\x${Buffer.from(email).toString('hex')}`)],
    ['url', inside(`mailto%3A${encodeURIComponent(email)}`)],
    ['sha256 hex', inside(createHash('sha256').update(email).digest('hex'))],
    ['base64 (+0)', inside(Buffer.from(email).toString('base64'))],
    ['base64 (+1)', inside(Buffer.from(`a${email}`).toString('base64'))],
    ['base64 (+2)', inside(Buffer.from(`ab${email}`).toString('base64'))],
    ['base64url (+2)', inside(Buffer.from(`["${email}"]`).toString('base64url'))],
  ])('finds an e-mail address held as %s', (form, bytes) => {
    expect(findIdentifiers([{ where: 'sample', bytes }], [email])).toContain(`sample: ${email} (${form})`);
  });

  it('finds a phone number by its digits', () => {
    expect(findIdentifiers([{ where: 'sample', bytes: inside('442079460958') }], [phone])).toEqual(['sample: +44 20 7946 0958 (digits)']);
  });

  it('finds nothing in bytes that hold none of them', () => {
    expect(findIdentifiers([{ where: 'sample', bytes: inside('subj-123 erasure completed') }], [email, phone])).toEqual([]);
  });
});
