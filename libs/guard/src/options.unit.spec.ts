import type { Kafka } from 'kafkajs';
import { resolveOptions } from './options';

const kafka = {} as Kafka;

describe('resolveOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveOptions({ kafka, schemaRegistryUrl: 'http://registry', service: 'shop' })).toMatchObject({
      topicPrefix: '',
      beforeReady: 'deny',
      whenNoRecord: 'deny',
      maxStalenessMs: 30_000,
      whenStale: 'deny',
    });
  });

  it('keeps defaults for options passed as undefined', () => {
    expect(resolveOptions({ kafka, schemaRegistryUrl: 'http://registry', service: 'shop', maxStalenessMs: undefined }).maxStalenessMs).toBe(30_000);
  });

  it('refuses bad values, naming each option', () => {
    const bad = { kafka, schemaRegistryUrl: '', service: 'a b', beforeReady: 'maybe', maxStalenessMs: -1 } as never;
    expect(() => resolveOptions(bad)).toThrow(/schemaRegistryUrl: required[\s\S]*service: required[\s\S]*beforeReady: 'deny' or 'allow'[\s\S]*maxStalenessMs/);
  });
});
