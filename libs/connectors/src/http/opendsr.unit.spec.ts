import type { ErasureTarget } from '../connector';
import { requestBody, selectIdentities, subjectRequestType } from './opendsr';

const target: ErasureTarget = {
  workId: 'erasure-1',
  subjectId: 'subj-1',
  identities: [
    { type: 'email', value: 'ada@example.com' },
    { type: 'customer_id', value: 'c-42' },
    { type: 'phone', value: '' },
    { type: 'email', value: 'ada@example.com' },
  ],
  scope: 'ALL',
  purposes: [],
  keepTransactionHistory: false,
  jurisdiction: 'CCPA',
  requestedAt: Date.parse('2026-02-01T09:30:00.000Z'),
};

describe('requestBody', () => {
  it('has the OpenDSR fields, with the identities given', () => {
    const identities = selectIdentities(target.identities, null);
    expect(requestBody(target, identities, 'https://lethe.example/cb', 0)).toEqual({
      regulation: 'ccpa',
      subject_request_id: 'erasure-1',
      subject_request_type: 'erasure',
      submitted_time: '2026-02-01T09:30:00.000Z',
      subject_identities: [
        { identity_type: 'email', identity_value: 'ada@example.com', identity_format: 'raw' },
        { identity_type: 'controller_customer_id', identity_value: 'c-42', identity_format: 'raw' },
      ],
      api_version: '1.0',
      status_callback_urls: ['https://lethe.example/cb'],
    });
  });

  it('defaults to gdpr, the time of sending, and no callback', () => {
    const body = requestBody({ ...target, jurisdiction: undefined, requestedAt: undefined }, [], null, Date.parse('2026-03-01T00:00:00.000Z'));
    expect(body).toMatchObject({ regulation: 'gdpr', submitted_time: '2026-03-01T00:00:00.000Z', status_callback_urls: [] });
  });
});

describe('selectIdentities', () => {
  it('keeps the configured types, without repeats or empty values', () => {
    expect(selectIdentities(target.identities, ['email', 'phone'])).toEqual([{ type: 'email', value: 'ada@example.com' }]);
  });
});

describe('subjectRequestType', () => {
  it.each([
    [undefined, 'erasure'],
    [{ action: 'suppress' as const, cause: 'SALE' }, 'opt_out_sale'],
    [{ action: 'delete' as const, cause: 'TARGETED_ADVERTISING' }, 'opt_out_targeted_advertising'],
    [{ action: 'delete' as const, cause: 'marketing' }, 'erasure'],
    [{ action: 'anonymize' as const, cause: 'marketing' }, 'restriction'],
  ])('sends %j as %s', (reaction, type) => {
    expect(subjectRequestType({ reaction })).toBe(type);
  });
});
