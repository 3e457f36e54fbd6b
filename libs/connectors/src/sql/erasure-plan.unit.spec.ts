import { childrenFirst, findCycle, modeOf, overallAction, planErasure, shareNoValue, strategiesOf, subjectValues, tablesWithoutAnonymization } from './erasure-plan';
import type { SqlConnectorConfig, SqlTableConfig } from './sql-config';

const via = (references: string, column = 'parent_id') => ({ column, references });

const tables: SqlTableConfig[] = [
  { name: 'payments', via: via('orders.id'), action: 'anonymize', fields: { card_holder: 'redact' } },
  { name: 'customers', root: true, action: 'delete' },
  { name: 'orders', via: via('customers.id'), action: 'delete', whenKeepingHistory: 'anonymize', fields: { name: 'null' } },
  { name: 'addresses', via: via('customers.id'), action: 'delete' },
  { name: 'invoices', via: via('orders.id'), legalHold: { basis: 'HGB §257', fields: { email: 'hmac' } } },
];

const config: SqlConnectorConfig = {
  system: 'shop',
  url: 'postgres://x/y',
  subject: { table: 'customers', column: 'external_id', match: 'subject_id' },
  tables,
};

describe('childrenFirst', () => {
  it('puts every table before the table it references, keeping configuration order for ties', () => {
    expect(childrenFirst(tables).map((table) => table.name)).toEqual([
      'payments',
      'invoices',
      'orders',
      'addresses',
      'customers',
    ]);
  });
});

describe('findCycle', () => {
  it('finds none in a tree and names the loop otherwise', () => {
    expect(findCycle(tables)).toBeNull();
    const looped: SqlTableConfig[] = [
      { name: 'root', root: true },
      { name: 'a', via: via('c.id') },
      { name: 'b', via: via('a.id') },
      { name: 'c', via: via('b.id') },
    ];
    expect(findCycle(looped)).toEqual(['a', 'c', 'b', 'a']);
  });
});

describe('planErasure', () => {
  it('deletes, anonymizes and holds as configured, children first', () => {
    const steps = planErasure(config, 'erase') ?? [];
    expect(steps).toEqual([
      { table: 'payments', kind: 'anonymize', fields: { card_holder: 'redact' }, legalHoldBasis: null },
      { table: 'invoices', kind: 'anonymize', fields: { email: 'hmac' }, legalHoldBasis: 'HGB §257' },
      { table: 'orders', kind: 'delete' },
      { table: 'addresses', kind: 'delete' },
      { table: 'customers', kind: 'delete' },
    ]);
    expect(overallAction(steps)).toBe('mixed');
  });

  it('anonymizes instead of deleting where declared when transaction history is kept', () => {
    const steps = planErasure(config, 'erase-keeping-history') ?? [];
    expect(steps.find((step) => step.table === 'orders')).toEqual({ table: 'orders', kind: 'anonymize', fields: { name: 'null' }, legalHoldBasis: null });
    expect(steps.find((step) => step.table === 'addresses')?.kind).toBe('delete');
  });

  it('anonymizes every table and deletes nothing when only anonymizing, or plans nothing if a table cannot be', () => {
    expect(planErasure(config, 'anonymize-only')).toBeNull();
    expect(tablesWithoutAnonymization(config)).toEqual(['customers', 'addresses']);
    const anonymizable: SqlConnectorConfig = {
      ...config,
      tables: tables.map((table) => (table.fields || table.legalHold ? table : { ...table, whenKeepingHistory: 'anonymize' as const, fields: { name: 'redact' } })),
    };
    expect(tablesWithoutAnonymization(anonymizable)).toEqual([]);
    const steps = planErasure(anonymizable, 'anonymize-only') ?? [];
    expect(steps.map((step) => [step.table, step.kind])).toEqual([
      ['payments', 'anonymize'],
      ['invoices', 'anonymize'],
      ['orders', 'anonymize'],
      ['addresses', 'anonymize'],
      ['customers', 'anonymize'],
    ]);
  });

  it('keeps the columns that find the subject when only anonymizing, so a later erasure still finds every row', () => {
    const linked: SqlConnectorConfig = {
      ...config,
      tables: [
        { name: 'customers', root: true, action: 'delete', whenKeepingHistory: 'anonymize', fields: { external_id: 'redact', id: 'null', email: 'redact' } },
        { name: 'orders', via: via('customers.id', 'customer_id'), action: 'delete', whenKeepingHistory: 'anonymize', fields: { customer_id: 'null', name: 'redact' } },
      ],
    };
    const steps = planErasure(linked, 'anonymize-only') ?? [];
    expect(strategiesOf(steps)).toEqual({ 'customers.email': 'redact', 'orders.name': 'redact' });
    // An erasure keeping history still unlinks them: the customer row itself is gone then.
    expect(strategiesOf(planErasure(linked, 'erase-keeping-history') ?? [])).toMatchObject({ 'orders.customer_id': 'null' });
  });

  it('takes the mode from the request: an opt-out mapped to anonymize only anonymizes', () => {
    expect(modeOf({ keepTransactionHistory: false })).toBe('erase');
    expect(modeOf({ keepTransactionHistory: true })).toBe('erase-keeping-history');
    expect(modeOf({ keepTransactionHistory: true, reaction: { action: 'anonymize', cause: 'marketing' } })).toBe('anonymize-only');
    expect(modeOf({ keepTransactionHistory: false, reaction: { action: 'delete', cause: 'marketing' } })).toBe('erase');
  });

  it('reports strategies as table.column, and a single action when all steps agree', () => {
    expect(strategiesOf(planErasure(config, 'erase-keeping-history') ?? [])).toEqual({
      'payments.card_holder': 'redact',
      'invoices.email': 'hmac',
      'orders.name': 'null',
    });
    expect(overallAction([{ table: 'a', kind: 'delete' }])).toBe('delete');
  });
});

describe('subjectValues', () => {
  const target = {
    subjectId: 'subj-1',
    identities: [
      { type: 'email' as const, value: 'a@example.com' },
      { type: 'email' as const, value: 'b@example.com' },
      { type: 'email' as const, value: 'a@example.com' },
      { type: 'phone' as const, value: '+49 1' },
    ],
  };

  it('uses the subject id, or every distinct identity of the matched type', () => {
    expect(subjectValues('subject_id', target)).toEqual(['subj-1']);
    expect(subjectValues('identity:email', target)).toEqual(['a@example.com', 'b@example.com']);
  });

  it('finds nothing when the target carries no identity of that type', () => {
    expect(subjectValues('identity:customer_id', target)).toEqual([]);
  });
});

describe('shareNoValue', () => {
  const email = (value: string) => ({ type: 'email' as const, value });

  it('is true when every target looks for values of its own', () => {
    expect(shareNoValue('subject_id', [{ subjectId: 'a', identities: [] }, { subjectId: 'b', identities: [] }])).toBe(true);
    expect(shareNoValue('identity:email', [{ subjectId: 'a', identities: [email('x@e.org')] }, { subjectId: 'a', identities: [email('y@e.org')] }])).toBe(true);
  });

  it('is false when two targets look for one value: two requests of a subject, one address given by two people', () => {
    expect(shareNoValue('subject_id', [{ subjectId: 'a', identities: [] }, { subjectId: 'a', identities: [] }])).toBe(false);
    expect(shareNoValue('identity:email', [{ subjectId: 'a', identities: [email('x@e.org')] }, { subjectId: 'b', identities: [email('z@e.org'), email('x@e.org')] }])).toBe(false);
  });
});
