import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { consentEvent, SAMPLE_PAYLOADS, testEndpoints, uniqueName } from '@lethe/testing';
import { ConsentEventCodec, ConsentState, ConsentStateCodec, loadSchema, SCHEMA_DIR, setSubjectCompatibility, UndecodableRecordError } from '.';

const registryUrl = testEndpoints().schemaRegistryUrl;
const registry = new SchemaRegistry({ host: registryUrl });

function record(fields: object[]): string {
  return JSON.stringify({ type: 'record', name: 'Probe', namespace: 'io.lethe.test', fields });
}

describe('ConsentEventCodec', () => {
  const codec = ConsentEventCodec.forRegistry(registryUrl, uniqueName('test.codec') + '-value');

  it.each(SAMPLE_PAYLOADS.map((payload) => [payload.type, payload]))('round-trips %s', async (_type, payload) => {
    const event = consentEvent({ payload, identities: null });
    const wire = await codec.encode(event);
    expect(wire[0]).toBe(0);
    expect(await codec.decode(wire)).toEqual(event);
  });

  it('carries encrypted identities as bytes', async () => {
    const identities = {
      key_id: 'k1',
      algorithm: 'AES_256_GCM' as const,
      iv: Buffer.alloc(12, 1),
      ciphertext: Buffer.from('opaque'),
      auth_tag: Buffer.alloc(16, 2),
    };
    const event = consentEvent({ identities });
    expect((await codec.decode(await codec.encode(event))).identities).toEqual(identities);
  });

  it('registers from several processes at once on a new subject, as a first start does', async () => {
    // Separate codecs, as consent-api, the projector and the worker are: each pins the subject's
    // compatibility and registers, all at the same moment.
    const subject = uniqueName('test.codec') + '-value';
    const codecs = Array.from({ length: 6 }, () => ConsentEventCodec.forRegistry(registryUrl, subject));
    const ids = await Promise.all(codecs.map((each) => each.register()));
    expect(new Set(ids).size).toBe(1);
  });

  it('registers once for concurrent callers', async () => {
    const fresh = ConsentEventCodec.forRegistry(registryUrl, uniqueName('test.codec') + '-value');
    const ids = await Promise.all([fresh.register(), fresh.register(), fresh.register()]);
    expect(new Set(ids).size).toBe(1);
  });

  it('refuses an event that does not fit the schema, naming nothing personal', async () => {
    const bad = consentEvent({ source: 'CARRIER_PIGEON' as never });
    await expect(codec.encode(bad)).rejects.toThrow();
  });

  it('reports bytes that are not a ConsentEvent as undecodable', async () => {
    await expect(codec.decode(Buffer.from('{"json":true}'))).rejects.toBeInstanceOf(UndecodableRecordError);
    await expect(codec.decode(null)).rejects.toBeInstanceOf(UndecodableRecordError);
    const wire = await codec.encode(consentEvent());
    const truncated = wire.subarray(0, wire.length - 10);
    await expect(codec.decode(truncated)).rejects.toBeInstanceOf(UndecodableRecordError);
  });
});

describe('ConsentStateCodec', () => {
  it('round-trips a subject state', async () => {
    const codec = ConsentStateCodec.forRegistry(registryUrl, uniqueName('test.state') + '-value');
    const state: ConsentState = {
      subject_id: 'subj-1',
      version: 3,
      updated_at: Date.now(),
      purposes: { marketing: { status: 'WITHDRAWN', policy_version: '2026-01', at: Date.now() } },
      opt_outs: ['SALE'],
      objections: ['*'],
      erasure: 'OPEN',
    };
    expect(await codec.decode(await codec.encode(state))).toEqual(state);
  });
});

describe('schema compatibility in the registry', () => {
  it('refuses an incompatible change and accepts a compatible one under BACKWARD', async () => {
    const subject = uniqueName('test.compat') + '-value';
    await setSubjectCompatibility(registryUrl, subject, COMPATIBILITY.BACKWARD);
    const v1 = record([{ name: 'a', type: 'string' }]);
    await registry.register({ type: SchemaType.AVRO, schema: v1 }, { subject });

    // A new required field cannot read old records: refused.
    const incompatible = record([
      { name: 'a', type: 'string' },
      { name: 'b', type: 'string' },
    ]);
    await expect(registry.register({ type: SchemaType.AVRO, schema: incompatible }, { subject })).rejects.toThrow(
      /incompatible|409/i,
    );

    // The same field with a default can: accepted as a new version.
    const compatible = record([
      { name: 'a', type: 'string' },
      { name: 'b', type: 'string', default: '' },
    ]);
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: compatible }, { subject });
    expect(id).toBeGreaterThan(0);
  });

  it.each(['consent-event', 'consent-state'] as const)('accepts the current %s schema after every released version', async (name) => {
    const subject = uniqueName('test.history') + '-value';
    await setSubjectCompatibility(registryUrl, subject, COMPATIBILITY.BACKWARD);
    const history = readdirSync(resolve(SCHEMA_DIR, 'history'))
      .filter((file) => file.startsWith(`${name}.v`))
      .sort((a, b) => Number(a.match(/v(\d+)/)?.[1]) - Number(b.match(/v(\d+)/)?.[1]));
    expect(history.length).toBeGreaterThan(0);
    for (const file of history) {
      const schema = readFileSync(resolve(SCHEMA_DIR, 'history', file), 'utf8');
      await registry.register({ type: SchemaType.AVRO, schema }, { subject });
    }
    await expect(registry.register({ type: SchemaType.AVRO, schema: loadSchema(name) }, { subject })).resolves.toHaveProperty('id');
  });
});
