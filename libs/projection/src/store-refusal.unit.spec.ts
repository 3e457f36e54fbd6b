import { storeRefusal } from './store-refusal';

// How typeorm hands PostgreSQL errors over: a QueryFailedError carrying the driver's error.
const failed = (code: string) => Object.assign(new Error('query failed: \\u0000 cannot be converted to text'), { driverError: { code } });

describe('storeRefusal', () => {
  it.each(['22P05', '22021', '22001', '23505', '23514'])('takes %s as the record content refused, naming only the code', (code) => {
    expect(storeRefusal(failed(code))).toBe(`the projection store refused the record (SQLSTATE ${code})`);
  });

  it.each(['08006', '57P01', '53300', '40001', '40P01', '55P03', 'XX000'])('takes %s as an outage, to retry', (code) => {
    expect(storeRefusal(failed(code))).toBeUndefined();
  });

  it('takes errors without a SQLSTATE (a dropped connection, a broker timeout) as outages', () => {
    expect(storeRefusal(new Error('Connection terminated unexpectedly'))).toBeUndefined();
    expect(storeRefusal(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(storeRefusal(undefined)).toBeUndefined();
  });
});
