import { consumerGroupsFor, subjectsFor } from '@lethe/contracts';
import { topicSettingsFrom } from './env';

describe('topicSettingsFrom', () => {
  it('names the plain topics without LETHE_TOPIC_PREFIX, and leaves unset durability to the cluster', () => {
    expect(topicSettingsFrom({})).toEqual({
      prefix: '',
      names: { consentLog: 'consent.log', consentState: 'consent.state', consentDlq: 'consent.dlq', optOuts: 'consent.opt-outs', consentAudit: 'consent.audit' },
      partitions: undefined,
      replicationFactor: undefined,
      minInsyncReplicas: undefined,
    });
    expect(topicSettingsFrom({ LETHE_REPLICATION_FACTOR: '3', LETHE_MIN_INSYNC_REPLICAS: '2' })).toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(() => topicSettingsFrom({ LETHE_REPLICATION_FACTOR: '1', LETHE_MIN_INSYNC_REPLICAS: '2' })).toThrow('LETHE_MIN_INSYNC_REPLICAS (2) cannot exceed LETHE_REPLICATION_FACTOR (1)');
  });

  it('puts LETHE_TOPIC_PREFIX before every topic, registry subject and consumer group', () => {
    const { prefix, names } = topicSettingsFrom({ LETHE_TOPIC_PREFIX: 'staging.' });
    expect(names).toEqual({
      consentLog: 'staging.consent.log',
      consentState: 'staging.consent.state',
      consentDlq: 'staging.consent.dlq',
      optOuts: 'staging.consent.opt-outs',
      consentAudit: 'staging.consent.audit',
    });
    expect(subjectsFor(names)).toEqual({
      consentLogValue: 'staging.consent.log-value',
      consentStateValue: 'staging.consent.state-value',
      optOutsValue: 'staging.consent.opt-outs-value',
    });
    expect(consumerGroupsFor(prefix).projector).toBe('staging.lethe.projector');
    expect(consumerGroupsFor(prefix).erasureWorker('crm')).toBe('staging.lethe.erasure.crm');
    expect(consumerGroupsFor(prefix).checkpointer).toBe('staging.lethe.checkpointer');
  });

  it.each(['staging/', 'prod consent.', 'ümlaut.', 'a:b'])('refuses a prefix Kafka cannot name a topic with: %s', (prefix) => {
    expect(() => topicSettingsFrom({ LETHE_TOPIC_PREFIX: prefix })).toThrow(/^LETHE_TOPIC_PREFIX may hold only ASCII letters, digits/);
  });

  it('refuses a prefix that makes a topic name longer than Kafka allows', () => {
    // consent.opt-outs is the longest name.
    expect(() => topicSettingsFrom({ LETHE_TOPIC_PREFIX: 'x'.repeat(234) })).toThrow(
      'LETHE_TOPIC_PREFIX is too long: topic names would have 250 characters, Kafka allows 249',
    );
    expect(topicSettingsFrom({ LETHE_TOPIC_PREFIX: 'x'.repeat(233) }).names.optOuts).toHaveLength(249);
  });
});
