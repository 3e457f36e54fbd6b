import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { KafkaJSProtocolError } from 'kafkajs';
import { ConfigError } from './env';
import { safeErrorSummary } from './safe-error';

/** A PostgreSQL error as pg builds it from the server's answer. */
function uniqueViolation(): DatabaseError {
  const error = new DatabaseError('duplicate key value violates unique constraint "customers_email_key"', 120, 'error');
  Object.assign(error, {
    severity: 'ERROR',
    code: '23505',
    detail: 'Key (email)=(ada@example.com) already exists.',
    where: 'SQL statement "insert into customers values (\'Ada Lovelace\')"',
    schema: 'demo_shop',
    table: 'customers',
    constraint: 'customers_email_key',
  });
  return error;
}

describe('safeErrorSummary', () => {
  it('summarises a PostgreSQL error by SQLSTATE and object names, without detail, where or the message', () => {
    const invalidInput = Object.assign(new DatabaseError('invalid input syntax for type uuid: "ada@example.com"', 90, 'error'), { severity: 'ERROR', code: '22P02' });
    expect(safeErrorSummary(uniqueViolation())).toBe('error: database error 23505 (table customers, constraint customers_email_key)');
    expect(safeErrorSummary(invalidInput)).toBe('error: database error 22P02');
  });

  it("summarises TypeORM's QueryFailedError by the driver's error, without the query's parameters", () => {
    const failed = new QueryFailedError('insert into customers (email) values ($1)', ['ada@example.com'], uniqueViolation());
    const summary = safeErrorSummary(failed);
    expect(summary).toBe('QueryFailedError: database error 23505 (table customers, constraint customers_email_key)');
    expect(summary).not.toMatch(/ada|Lovelace|example/);
  });

  it('keeps the name, KafkaJS type and message of other errors, on one line', () => {
    expect(safeErrorSummary(Object.assign(new KafkaJSProtocolError('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' }))).toBe(
      'KafkaJSProtocolError [UNKNOWN_TOPIC_OR_PARTITION]: This server does not host this topic-partition',
    );
    expect(safeErrorSummary(new ConfigError('LETHE_API_PORT: a whole number from 1 to 65535'))).toBe('ConfigError: LETHE_API_PORT: a whole number from 1 to 65535');
    expect(safeErrorSummary(new Error('line one\nline two\u0000'))).toBe('Error: line one line two');
    expect(safeErrorSummary(new Error('x'.repeat(1000))).length).toBeLessThan(320);
    expect(safeErrorSummary('a string')).toBe('a thrown string');
  });
});
