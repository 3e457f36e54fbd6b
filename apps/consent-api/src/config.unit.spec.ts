import { loadApiConfig } from './config';

describe('LETHE_ERASURE_SLA_HOURS', () => {
  it('defaults to 72 hours', () => {
    expect(loadApiConfig({}).erasureSlaHours).toBe(72);
  });

  it('takes a whole number of hours, 0 included', () => {
    expect(loadApiConfig({ LETHE_ERASURE_SLA_HOURS: '24' }).erasureSlaHours).toBe(24);
    expect(loadApiConfig({ LETHE_ERASURE_SLA_HOURS: '0' }).erasureSlaHours).toBe(0);
  });

  it.each(['-1', '1.5', 'three days', '9000'])('refuses %s, naming the setting', (value) => {
    expect(() => loadApiConfig({ LETHE_ERASURE_SLA_HOURS: value })).toThrow(/LETHE_ERASURE_SLA_HOURS must be a whole number from 0 to 8784/);
  });
});
