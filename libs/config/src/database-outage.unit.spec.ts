import { isDatabaseOutage } from './database-outage';

/** What node-postgres throws for a server error: an Error with the SQLSTATE and a severity. */
function pgError(code: string, message = 'server error'): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

/** TypeORM wraps the driver's error in a QueryFailedError that carries it as driverError. */
function queryFailed(driverError: Error): Error {
  return Object.assign(new Error(driverError.message), { name: 'QueryFailedError', driverError });
}

describe('isDatabaseOutage', () => {
  it.each([
    ['connections terminated by an administrator (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['the server shutting down (57P02)', pgError('57P02')],
    ['the server starting up (57P03)', pgError('57P03')],
    ['too many connections (53300)', pgError('53300')],
    ['a serialization failure (40001)', pgError('40001')],
    ['a connection failure (08006)', pgError('08006')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a dropped connection, reported by message only', new Error('Connection terminated unexpectedly')],
    ['a pool that found no connection in time', new Error('timeout exceeded when trying to connect')],
    ['a client whose connection failed earlier', new Error('Client has encountered a connection error and is not queryable')],
  ])('is true for %s, bare or wrapped by TypeORM', (_, error) => {
    expect(isDatabaseOutage(error)).toBe(true);
    expect(isDatabaseOutage(queryFailed(error))).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', pgError('23505')],
    ['invalid input (22P02)', pgError('22P02')],
    ['an undefined table (42P01)', pgError('42P01')],
    ['a protocol violation (08P01): a bug of ours, such as too many parameters', pgError('08P01')],
    ['a cancelled statement (57014)', pgError('57014')],
    ['a system error (58P01)', pgError('58P01')],
    ['a SQLSTATE-like code on an error the server did not send', Object.assign(new Error('boom'), { code: '57P01' })],
    ['an error of our own', new Error('subject key missing')],
    ['a thrown string', 'boom'],
    ['null', null],
  ])('is false for %s: the same call would fail again', (_, error) => {
    expect(isDatabaseOutage(error)).toBe(false);
    if (error instanceof Error) expect(isDatabaseOutage(queryFailed(error))).toBe(false);
  });
});
