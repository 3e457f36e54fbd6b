import { classifyFields, FIELD_STRATEGIES, isAnonymizing } from './field-strategies';

describe('classifyFields', () => {
  it('splits fields into pseudonymized (still linkable) and anonymized, each sorted', () => {
    const strategies = {
      'orders.shipping_address': 'hmac',
      'orders.customer_id': 'null',
      'orders.shipping_name': 'redact',
      'orders.gift_note': 'random',
      'orders.delivered_at': 'year',
      'customers.email_hash': 'hmac',
    };
    expect(classifyFields(strategies)).toEqual({
      pseudonymized: ['customers.email_hash', 'orders.shipping_address'],
      anonymized: ['orders.customer_id', 'orders.delivered_at', 'orders.gift_note', 'orders.shipping_name'],
    });
  });

  it('counts an unkeyed hash of older steps, or any unknown strategy, as pseudonymized', () => {
    expect(classifyFields({ 'payments.card_holder': 'sha256', 'a.b': 'something-new' })).toEqual({ pseudonymized: ['a.b', 'payments.card_holder'], anonymized: [] });
  });

  it('is empty for a step that anonymized nothing', () => {
    expect(classifyFields({})).toEqual({ pseudonymized: [], anonymized: [] });
  });

  it('offers only hmac among pseudonymizing strategies, and no unkeyed hash', () => {
    expect(FIELD_STRATEGIES.filter((strategy) => !isAnonymizing(strategy))).toEqual(['hmac']);
    expect(FIELD_STRATEGIES).not.toContain('sha256');
  });
});
