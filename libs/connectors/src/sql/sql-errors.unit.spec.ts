import { ConnectorError } from '../connector';
import { toConnectorError } from './sql-errors';

function databaseError(code: string, message: string, fields: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), { code, ...fields });
}

describe('toConnectorError', () => {
  it('retries when the database cannot be reached, even inside an AggregateError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = toConnectorError(refused, 'shop', 'erase');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('sql connector "shop": erase failed: cannot reach the database (ECONNREFUSED)');
    expect(toConnectorError(new AggregateError([refused]), 'shop', 'erase').retryable).toBe(true);
    expect(toConnectorError(new Error('timeout exceeded when trying to connect'), 'shop', 'erase').retryable).toBe(true);
  });

  it('retries deadlocks and statement timeouts', () => {
    expect(toConnectorError(databaseError('40P01', 'deadlock detected'), 's', 'erase').retryable).toBe(true);
    expect(toConnectorError(databaseError('57014', 'canceling statement due to statement timeout'), 's', 'erase').retryable).toBe(
      true,
    );
  });

  it('does not retry a schema mismatch, and names the objects involved', () => {
    const error = toConnectorError(
      databaseError('42703', 'column "shipping_nme" does not exist', { table: 'orders' }),
      'shop',
      'erase',
    );
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'sql connector "shop": erase failed: SQLSTATE 42703: column "shipping_nme" does not exist (table "orders")',
    );
  });

  it('never passes on a data exception message, which quotes the offending value', () => {
    const error = toConnectorError(
      databaseError('22P02', 'invalid input syntax for type integer: "jane@example.com"', { column: 'zip' }),
      'shop',
      'erase',
    );
    expect(error.message).not.toContain('jane@example.com');
    expect(error.message).toBe('sql connector "shop": erase failed: SQLSTATE 22P02 (column "zip")');
  });

  it('keeps a ConnectorError as it is, and hides the text of unexpected errors', () => {
    const original = new ConnectorError('already classified', false);
    expect(toConnectorError(original, 's', 'erase')).toBe(original);
    const unexpected = toConnectorError(new TypeError('cannot read jane@example.com'), 's', 'erase');
    expect(unexpected.message).toBe('sql connector "s": erase failed: unexpected TypeError');
    expect(unexpected.retryable).toBe(false);
  });
});
