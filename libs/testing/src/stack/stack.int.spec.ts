import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import Redis from 'ioredis';
import { Admin, CompressionTypes, Partitioners } from 'kafkajs';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { endpointsFrom } from '@lethe/config';
import { collectMessages, createFreshTopic, testKafka, uniqueName, waitForMessages } from '..';

// Proves each real part of the stack the rest of Lethe stands on.

@Entity({ name: 'stack_smoke' })
class SmokeRow {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') note!: string;
}

const endpoints = endpointsFrom(process.env, 'lethe_test');
const schemaPath = resolve(__dirname, '../../../../schemas/consent-event.avsc');

describe('local stack', () => {
  const kafka = testKafka('stack-smoke');
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(() => admin.disconnect());

  it('carries an Avro record in the Confluent wire format from producer to consumer', async () => {
    const topic = await createFreshTopic(admin, 'smoke');
    expect(await admin.listTopics()).toContain(topic);

    const registry = new SchemaRegistry({ host: endpoints.schemaRegistryUrl });
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: readFileSync(schemaPath, 'utf8') },
      { subject: `${topic}-value` },
    );

    const event = {
      event_id: randomUUID(),
      subject_id: 'subj-0001',
      occurred_at: Date.now(),
      recorded_at: Date.now(),
      source: 'API',
      actor: 'stack-smoke',
      jurisdiction: 'GDPR',
      policy_version: null,
      purposes: ['marketing'],
      correlation_id: null,
      causation_id: null,
      payload: { 'io.lethe.consent.v1.ConsentWithdrawn': {} },
    };
    const value = await registry.encode(id, event);
    expect(value[0]).toBe(0); // Confluent magic byte, then the 4-byte schema id
    expect(value.readInt32BE(1)).toBe(id);

    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: [{ key: event.subject_id, value }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('smoke') });
    await consumer.connect();
    try {
      const received = await collectMessages(consumer, topic);
      const [message] = await waitForMessages(received, 1);
      expect(message.message.key?.toString()).toBe('subj-0001');
      const decoded = await registry.decode(message.message.value as Buffer);
      expect(decoded).toMatchObject({ event_id: event.event_id, purposes: ['marketing'], jurisdiction: 'GDPR' });
      expect(decoded.payload).toEqual({ 'io.lethe.consent.v1.ConsentWithdrawn': {} });
    } finally {
      await consumer.disconnect();
    }
  });

  it('writes and reads a row in PostgreSQL through TypeORM', async () => {
    const dataSource = new DataSource({
      type: 'postgres',
      url: endpoints.databaseUrl,
      entities: [SmokeRow],
      synchronize: true,
    });
    await dataSource.initialize();
    try {
      const id = randomUUID();
      await dataSource.getRepository(SmokeRow).insert({ id, note: 'hello' });
      expect(await dataSource.getRepository(SmokeRow).findOneBy({ id })).toEqual({ id, note: 'hello' });
    } finally {
      await dataSource.destroy();
    }
  });

  it('sets and gets a key in Redis', async () => {
    const redis = new Redis(endpoints.redisUrl);
    try {
      const key = uniqueName('smoke');
      await redis.set(key, 'value', 'EX', 60);
      expect(await redis.get(key)).toBe('value');
    } finally {
      redis.disconnect();
    }
  });
});
