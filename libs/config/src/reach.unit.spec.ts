import { ConfigError, reach } from './env';

const starting = new Error('the coordinator is loading');
const patience = (deadlineMs: number) => ({ deadlineMs, stillStarting: (error: unknown) => error === starting });

/** A connect step that fails with `errors` in turn, then succeeds. */
function failingThen<T>(errors: Error[], value: T) {
  let calls = 0;
  const connect = async () => {
    calls += 1;
    if (calls <= errors.length) throw errors[calls - 1];
    return value;
  };
  return { connect, calls: () => calls };
}

describe('reach', () => {
  it('retries a service that is still starting until it answers', async () => {
    const step = failingThen([starting, starting], 'connected');
    await expect(reach('Kafka (KAFKA_BROKERS)', step.connect, patience(10_000))).resolves.toBe('connected');
    expect(step.calls()).toBe(3);
  });

  it('fails at once on any other error, naming the service', async () => {
    const step = failingThen([new Error('SASL authentication failed')], 'connected');
    await expect(reach('Kafka (KAFKA_BROKERS)', step.connect, patience(10_000))).rejects.toThrow(
      'could not reach Kafka (KAFKA_BROKERS): SASL authentication failed',
    );
    expect(step.calls()).toBe(1);
  });

  it('gives up at the deadline, saying the service was still starting', async () => {
    const step = failingThen(Array(1_000).fill(starting), 'connected');
    await expect(reach('Kafka producer', step.connect, patience(1_500))).rejects.toThrow(
      'could not reach Kafka producer (still starting after 1.5 s): the coordinator is loading',
    );
    expect(step.calls()).toBeGreaterThan(1);
  });

  it('passes a refusal of the settings it found on unchanged: the service answered', async () => {
    const step = failingThen([new ConfigError('consent.log: retention.ms is 604800000, expected -1')], 'connected');
    await expect(reach('Kafka (KAFKA_BROKERS)', step.connect, patience(10_000))).rejects.toThrow(/^consent\.log: retention\.ms/);
  });

  it('without patience, tries once', async () => {
    const step = failingThen([starting], 'connected');
    await expect(reach('Kafka producer', step.connect)).rejects.toThrow('could not reach Kafka producer: the coordinator is loading');
    expect(step.calls()).toBe(1);
  });
});
