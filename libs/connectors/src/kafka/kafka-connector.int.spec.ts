import { Admin, Consumer, Partitioners, Producer } from 'kafkajs';
import { collectMessages, createFreshTopic, testEndpoints, testKafka, uniqueName, waitForMessages } from '@lethe/testing';
import type { Identity } from '@lethe/identity-vault';
import { ConnectorError, ErasureTarget } from '../connector';
import { KafkaConnector } from './kafka-connector';

function target(subjectId: string, identities: Identity[] = []): ErasureTarget {
  return { workId: uniqueName('work'), subjectId, identities, scope: 'ALL', purposes: [], keepTransactionHistory: false };
}

const COMPACTED = { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] };

describe('KafkaConnector', () => {
  const kafka = testKafka('lethe-test-kafka-connector');
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];
  const connectors: KafkaConnector[] = [];

  function connectorFor(topics: { topic: string; key: string }[], extra: Record<string, unknown> = {}) {
    const connector = new KafkaConnector({ system: uniqueName('topics'), topics, ...extra }, testEndpoints().kafkaBrokers);
    connectors.push(connector);
    return connector;
  }

  /** The topic's high watermark: how many records it holds (one partition). */
  async function recordCount(topic: string): Promise<number> {
    const [partition] = await admin.fetchTopicOffsets(topic);
    return Number(partition.high);
  }

  beforeAll(async () => {
    admin = kafka.admin();
    producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([...connectors, ...consumers].map((closable) => ('close' in closable ? closable.close() : closable.disconnect())));
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  });

  it("tombstones the subject's key on each topic and no one else's", async () => {
    const profiles = await createFreshTopic(admin, 'profiles', COMPACTED);
    const accounts = await createFreshTopic(admin, 'accounts', COMPACTED);
    await producer.send({
      topic: profiles,
      messages: [
        { key: 'subject-1', value: '{"name":"Ada"}' },
        { key: 'subject-10', value: '{"name":"Bob"}' },
      ],
    });
    await producer.send({ topic: accounts, messages: [{ key: 'acct-C-77', value: '{"iban":"x"}' }] });
    const connector = connectorFor([
      { topic: profiles, key: '{subjectId}' },
      { topic: accounts, key: 'acct-{identity:customer_id}' },
    ]);

    const outcome = await connector.erase(target('subject-1', [{ type: 'customer_id', value: 'C-77' }]));

    expect(outcome).toEqual({ action: 'tombstone', counts: { [profiles]: 1, [accounts]: 1 }, strategies: {}, legalHold: null, alreadyDone: false });
    expect(await recordCount(profiles)).toBe(3);
    const consumer = kafka.consumer({ groupId: uniqueName('test-group') });
    consumers.push(consumer);
    await consumer.connect();
    const received = await collectMessages(consumer, profiles);
    const records = (await waitForMessages(received, 3)).map(({ message }) => ({ key: message.key?.toString(), value: message.value }));
    expect(records.filter(({ value }) => value === null).map(({ key }) => key)).toEqual(['subject-1']);
    expect(records.filter(({ key }) => key === 'subject-10').every(({ value }) => value !== null)).toBe(true);
    const [accountRecords] = await admin.fetchTopicOffsets(accounts);
    expect(accountRecords.high).toBe('2');
  });

  it('fails for good, sending nothing, when a template needs an identity the request does not carry', async () => {
    const accounts = await createFreshTopic(admin, 'accounts', COMPACTED);
    const profiles = await createFreshTopic(admin, 'profiles', COMPACTED);
    const connector = connectorFor([
      { topic: profiles, key: '{subjectId}' },
      { topic: accounts, key: '{identity:customer_id}' },
    ]);
    for (const attempt of [() => connector.erase(target('subject-1')), () => connector.dryRun(target('subject-1'))]) {
      const failure = await attempt().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConnectorError);
      expect(failure).toMatchObject({ retryable: false, message: expect.stringContaining('no_identity_for_match') });
    }
    expect(await recordCount(accounts)).toBe(0);
    expect(await recordCount(profiles)).toBe(0);
  });

  it('sends nothing in a dry run, and counts what it would send', async () => {
    const profiles = await createFreshTopic(admin, 'profiles', COMPACTED);
    await producer.send({ topic: profiles, messages: [{ key: 'subject-1', value: 'v' }] });
    const outcome = await connectorFor([{ topic: profiles, key: '{subjectId}' }]).dryRun(target('subject-1'));
    expect(outcome.counts).toEqual({ [profiles]: 1 });
    expect(await recordCount(profiles)).toBe(1);
  });

  it('sends again for a repeated request, reporting the same counts', async () => {
    const profiles = await createFreshTopic(admin, 'profiles', COMPACTED);
    const connector = connectorFor([{ topic: profiles, key: '{subjectId}' }]);
    const request = target('subject-1');
    const first = await connector.erase(request);
    expect(await connector.erase(request)).toEqual(first);
    expect(await recordCount(profiles)).toBe(2);
  });

  it('refuses a topic that is not compacted, naming it, not retryable', async () => {
    const events = await createFreshTopic(admin, 'events', { configEntries: [{ name: 'cleanup.policy', value: 'delete' }] });
    const connector = connectorFor([{ topic: events, key: '{subjectId}' }]);
    const failure = await connector.testConnection().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({ retryable: false, message: expect.stringContaining(`"${events}" are not compacted`) });
    await expect(connector.erase(target('subject-1'))).rejects.toMatchObject({ retryable: false });
    expect(await recordCount(events)).toBe(0);
  });

  it('accepts a topic compacted and deleted', async () => {
    const both = await createFreshTopic(admin, 'both', { configEntries: [{ name: 'cleanup.policy', value: 'compact,delete' }] });
    await expect(connectorFor([{ topic: both, key: '{subjectId}' }]).testConnection()).resolves.toBeUndefined();
  });

  it('refuses a missing topic, naming it, not retryable', async () => {
    const missing = uniqueName('test.missing');
    const failure = await connectorFor([{ topic: missing, key: '{subjectId}' }]).testConnection().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({ retryable: false, message: expect.stringContaining(`"${missing}" do not exist`) });
  });

  it('reports unreachable brokers as a retryable ConnectorError', async () => {
    const connector = connectorFor([{ topic: 'anything', key: '{subjectId}' }], { brokers: ['127.0.0.1:1'] });
    await expect(connector.erase(target('subject-1'))).rejects.toMatchObject({
      retryable: true,
      message: expect.stringContaining('cannot reach the brokers'),
    });
  });
});
