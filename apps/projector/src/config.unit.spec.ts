import { loadProjectorConfig } from './config';

describe('loadProjectorConfig', () => {
  it('defaults to a 30 s session, no fault injection and no metrics endpoint', () => {
    const config = loadProjectorConfig({});
    expect(config).toMatchObject({ sessionTimeoutMs: 30_000, faultDelayMs: 0 });
    expect(config.metrics).toBeUndefined();
  });

  it('takes the session timeout, fault delay and metrics endpoint from the environment', () => {
    const config = loadProjectorConfig({ LETHE_PROJECTOR_SESSION_TIMEOUT_MS: '6000', LETHE_PROJECTOR_FAULT_DELAY_MS: '250', LETHE_METRICS_PORT: '9464' });
    expect(config).toMatchObject({ sessionTimeoutMs: 6_000, faultDelayMs: 250, metrics: { port: 9464, host: '127.0.0.1' } });
  });

  it.each([
    ['LETHE_PROJECTOR_SESSION_TIMEOUT_MS', '5999'],
    ['LETHE_PROJECTOR_SESSION_TIMEOUT_MS', 'soon'],
    ['LETHE_PROJECTOR_FAULT_DELAY_MS', '-1'],
    ['LETHE_METRICS_PORT', '70000'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadProjectorConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be a whole number`));
  });
});
