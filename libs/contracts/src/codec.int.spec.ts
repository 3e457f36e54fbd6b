import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { consentEvent, eventOfNewerType, RegistryMode, RegistryProxy, SAMPLE_PAYLOADS, testEndpoints, underFreshSchemaId, uniqueName } from '@lethe/testing';
import {
  ConsentEventCodec,
  ConsentState,
  ConsentStateCodec,
  DecodeError,
  loadSchema,
  RegistryUnavailableError,
  SCHEMA_DIR,
  setSubjectCompatibility,
  UnknownPayloadTypeError,
} from '.';

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

  it('classifies bytes that are not a ConsentEvent by what is wrong with them', async () => {
    const kind = (value: Buffer | null) => codec.decode(value).then(
      () => 'decoded',
      (error: unknown) => (error instanceof DecodeError ? error.kind : String(error)),
    );
    expect(await kind(Buffer.from('{"json":true}'))).toBe('not_avro');
    expect(await kind(null)).toBe('not_avro');
    const wire = await codec.encode(consentEvent());
    expect(await kind(wire.subarray(0, wire.length - 10))).toBe('corrupt_datum');
    expect(await kind(Buffer.concat([wire.subarray(0, 5), Buffer.alloc(40, 0xff)]))).toBe('corrupt_datum');
    const unknownId = Buffer.from(wire);
    unknownId.writeInt32BE(2_000_000_000, 1);
    expect(await kind(unknownId)).toBe('unknown_schema');
    const state = await ConsentStateCodec.forRegistry(registryUrl, uniqueName('test.state') + '-value').encode({ subject_id: 's', version: 1, updated_at: 0, purposes: {}, opt_outs: [], objections: [], erasure: 'NONE', erasures: [] });
    expect(await kind(state)).toBe('unknown_schema');
  });

  it('reports a payload type of a newer writer as such, not as a bad record', async () => {
    const newer = await eventOfNewerType(registryUrl, consentEvent());
    await expect(codec.decode(newer)).rejects.toEqual(expect.objectContaining({ name: 'UnknownPayloadTypeError', payloadType: 'ConsentFrozen' }));
    await expect(codec.decode(newer)).rejects.toBeInstanceOf(UnknownPayloadTypeError);
  });
});

describe('ConsentEventCodec while the registry is unavailable', () => {
  const proxy = new RegistryProxy(registryUrl);
  let codec: ConsentEventCodec;

  beforeAll(async () => {
    codec = ConsentEventCodec.forRegistry(await proxy.start(), uniqueName('test.codec') + '-value');
    await codec.register();
  });
  afterAll(() => proxy.stop());

  it.each<RegistryMode>(['refuse', 503, 401, 403, 404, 409])('reports %s as an outage, never as a bad record, and decodes once it answers', async (mode) => {
    const event = consentEvent();
    const wire = await underFreshSchemaId(await codec.encode(event), registryUrl);
    await proxy.setMode(mode);
    await expect(codec.decode(wire)).rejects.toBeInstanceOf(RegistryUnavailableError);
    await proxy.setMode('forward');
    expect(await codec.decode(wire)).toEqual(event);
  });

  it('believes a 404 for a schema id only while the registry returns the schemas it knows', async () => {
    const wire = await codec.encode(consentEvent());
    wire.writeInt32BE(2_000_000_001, 1);
    await expect(codec.decode(wire)).rejects.toEqual(expect.objectContaining({ kind: 'unknown_schema' }));
    await proxy.setMode(404);
    await expect(codec.decode(wire)).rejects.toBeInstanceOf(RegistryUnavailableError);
    await proxy.setMode('forward');
  });
});

describe('ConsentEventCodec reading a log it did not write', () => {
  // A replay starts with thousands of records decoded at once and no schema cached: fetched and
  // compiled once, not once per record (which took ~30 s for the first 25,000 records of a rebuild).
  it('fetches and compiles a writer schema once, however many records of it are decoded at the same time', async () => {
    const subject = uniqueName('test.codec') + '-value';
    const event = consentEvent();
    const wire = await ConsentEventCodec.forRegistry(registryUrl, subject).encode(event);
    const proxy = new RegistryProxy(registryUrl);
    const reader = ConsentEventCodec.forRegistry(await proxy.start(), subject);
    const compiles = jest.spyOn(avro.Type, 'forSchema');
    try {
      const decoded = await Promise.all(Array.from({ length: 500 }, () => reader.decode(wire)));
      expect(decoded.every((each) => each.event_id === event.event_id)).toBe(true);
      expect(proxy.forwarded.filter((path) => path.includes(`/schemas/ids/${wire.readInt32BE(1)}`))).toHaveLength(1);
      expect(compiles.mock.calls.filter(([schema]) => (schema as { name?: string }).name === 'ConsentEvent')).toHaveLength(1);
    } finally {
      compiles.mockRestore();
      await proxy.stop();
    }
  });
});

describe('ConsentStateCodec', () => {
  it('round-trips a subject state', async () => {
    const codec = ConsentStateCodec.forRegistry(registryUrl, uniqueName('test.state') + '-value');
    const state: ConsentState = {
      subject_id: 'subj-1',
      version: 3,
      updated_at: Date.now(),
      purposes: { marketing: { status: 'WITHDRAWN', policy_version: '2026-01', at: Date.now(), version: 2 } },
      opt_outs: ['SALE'],
      objections: ['*'],
      erasure: 'OPEN',
      erasures: [{ scope: 'ALL', purposes: [], version: 3, open: true }],
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

  it.each(['consent-event', 'consent-state', 'opt-out-notice'] as const)('accepts the current %s schema after every released version', async (name) => {
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
