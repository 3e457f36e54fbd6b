import { ConfigError } from '@lethe/config';
import { loadNewsletterConfig } from './config';

it('uses the local defaults', () => {
  const config = loadNewsletterConfig({});
  expect(config).toMatchObject({ host: '127.0.0.1', port: 3200, topicPrefix: '', guardMaxStalenessMs: 30_000, jobPartitions: 3 });
  expect(config.endpoints.kafkaBrokers).toEqual(['127.0.0.1:9092']);
});

it('reads the settings it is given', () => {
  const config = loadNewsletterConfig({ NEWSLETTER_PORT: '3999', NEWSLETTER_HOST: '0.0.0.0', LETHE_TOPIC_PREFIX: 'staging.', KAFKA_BROKERS: 'a:9092,b:9092' });
  expect(config).toMatchObject({ host: '0.0.0.0', port: 3999, topicPrefix: 'staging.' });
  expect(config.endpoints.kafkaBrokers).toEqual(['a:9092', 'b:9092']);
});

it('refuses a bad value, naming the variable', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ NEWSLETTER_PORT: '70000' }, /^NEWSLETTER_PORT /],
    [{ NEWSLETTER_PORT: 'http' }, /^NEWSLETTER_PORT /],
    [{ NEWSLETTER_HOST: 'a host' }, /^NEWSLETTER_HOST /],
    [{ NEWSLETTER_GUARD_MAX_STALENESS_MS: '10' }, /^NEWSLETTER_GUARD_MAX_STALENESS_MS /],
    [{ NEWSLETTER_JOB_PARTITIONS: '0' }, /^NEWSLETTER_JOB_PARTITIONS /],
    [{ LETHE_TOPIC_PREFIX: 'bad prefix' }, /^LETHE_TOPIC_PREFIX /],
    [{ LETHE_LOG_LEVEL: 'loud' }, /^LETHE_LOG_LEVEL /],
  ];
  for (const [env, message] of cases) {
    expect(() => loadNewsletterConfig(env)).toThrow(ConfigError);
    expect(() => loadNewsletterConfig(env)).toThrow(message);
  }
});
