import { endpointsFrom, usesExternalStack } from './endpoints';

describe('endpointsFrom', () => {
  it('defaults to the local stack', () => {
    expect(endpointsFrom({})).toEqual({
      kafkaBrokers: ['127.0.0.1:9092'],
      schemaRegistryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
      databaseUrl: 'postgres://lethe:lethe@127.0.0.1:5432/lethe',
      redisUrl: 'redis://127.0.0.1:6379',
    });
  });

  it('follows the local stack ports and the chosen database', () => {
    const endpoints = endpointsFrom({ LETHE_KAFKA_PORT: '19092', LETHE_REGISTRY_PORT: '18081' }, 'lethe_test');
    expect(endpoints.kafkaBrokers).toEqual(['127.0.0.1:19092']);
    expect(endpoints.schemaRegistryUrl).toBe('http://127.0.0.1:18081/apis/ccompat/v7');
    expect(endpoints.databaseUrl).toMatch(/\/lethe_test$/);
  });

  it('names every node of a local cluster (LETHE_BROKERS)', () => {
    expect(endpointsFrom({ LETHE_KAFKA_PORT: '29092', LETHE_BROKERS: '3' }).kafkaBrokers).toEqual(['127.0.0.1:29092', '127.0.0.1:29093', '127.0.0.1:29094']);
    expect(endpointsFrom({ LETHE_BROKERS: '3', KAFKA_BROKERS: 'a:1' }).kafkaBrokers).toEqual(['a:1']);
  });

  it('prefers explicit variables and splits the broker list', () => {
    const endpoints = endpointsFrom({ KAFKA_BROKERS: 'a:9092, b:9092,', DATABASE_URL: 'postgres://x/y' });
    expect(endpoints.kafkaBrokers).toEqual(['a:9092', 'b:9092']);
    expect(endpoints.databaseUrl).toBe('postgres://x/y');
  });

  it('needs both Kafka and the registry named to skip the local stack', () => {
    expect(usesExternalStack({ KAFKA_BROKERS: 'a:9092' })).toBe(false);
    expect(usesExternalStack({ KAFKA_BROKERS: 'a:9092', SCHEMA_REGISTRY_URL: 'http://r' })).toBe(true);
  });
});
