import { KafkaConfigError, validateKafkaConfig } from './kafka-config';

const valid = {
  system: 'profile-topics',
  topics: [
    { topic: 'customer.profiles', key: '{subjectId}' },
    { topic: 'billing.accounts', key: 'acct-{identity:customer_id}' },
  ],
};

describe('validateKafkaConfig', () => {
  it('accepts a valid configuration, brokers and timeout optional', () => {
    expect(validateKafkaConfig(valid)).toEqual(valid);
    const full = { ...valid, brokers: ['kafka-1:9092'], timeoutMs: 5000 };
    expect(validateKafkaConfig(full)).toEqual(full);
  });

  it.each([
    [{ ...valid, topics: [] }, /topics: must be a non-empty list/],
    [{ ...valid, topics: [{ topic: 'a b', key: '{subjectId}' }] }, /topics\[0\]\.topic: must be a topic name/],
    [{ ...valid, topics: [{ topic: 'a', key: '{identity:ssn}' }] }, /topics\[0\]\.key: unknown placeholder/],
    [{ ...valid, topics: [{ topic: 'a', key: 'fixed-key' }] }, /topics\[0\]\.key: needs a placeholder/],
    [{ ...valid, topics: [{ topic: 'a', key: 5 }] }, /topics\[0\]\.key: must be a key template string/],
    [{ ...valid, topics: [{ topic: 'a', key: '{subjectId}', value: 'x' }] }, /topics\[0\]\.value: unknown key/],
    [{ ...valid, topics: [valid.topics[0], valid.topics[0]] }, /topics\[1\]: same topic and key as topics\[0\]/],
    [{ ...valid, topics: ['customer.profiles'] }, /topics\[0\]: must be an object/],
    [{ ...valid, brokers: [] }, /brokers: must be a non-empty list/],
    [{ ...valid, brokers: ['kafka-1'] }, /brokers\[0\]: must be host:port/],
    [{ ...valid, timeoutMs: 0 }, /timeoutMs: must be a positive integer/],
    [{ ...valid, system: undefined }, /system: must be a non-empty string/],
    [{ ...valid, topic: 'x' }, /topic: unknown key/],
  ])('refuses %j naming the key', (raw, message) => {
    expect(() => validateKafkaConfig(raw)).toThrow(message);
  });

  it('refuses with a non-retryable ConnectorError', () => {
    expect(() => validateKafkaConfig('x')).toThrow(KafkaConfigError);
    try {
      validateKafkaConfig({});
    } catch (error) {
      expect((error as KafkaConfigError).retryable).toBe(false);
      expect((error as KafkaConfigError).issues).toEqual(['system: must be a non-empty string', 'topics: must be a non-empty list of { topic, key }']);
    }
    expect.assertions(3);
  });
});
