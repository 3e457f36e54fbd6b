import { randomUUID } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ConsentEvent, loadSchema, PAYLOAD_NAMESPACE } from '@lethe/contracts';

interface AvroRecord {
  name: string;
  doc?: string;
  fields: { name: string; type: unknown }[];
}

async function registerVariant(registryUrl: string, change: (schema: AvroRecord) => void): Promise<{ registry: SchemaRegistry; id: number }> {
  const schema = JSON.parse(loadSchema('consent-event')) as AvroRecord;
  schema.doc = `test variant ${randomUUID()}`; // new content, so a schema id no consumer has cached
  change(schema);
  const registry = new SchemaRegistry({ host: registryUrl });
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `test.variant-${randomUUID().slice(0, 8)}-value` });
  return { registry, id };
}

/**
 * The same record under a schema id no consumer has fetched yet (the ConsentEvent schema with
 * another doc), so decoding it needs the registry.
 */
export async function underFreshSchemaId(wire: Buffer, registryUrl: string): Promise<Buffer> {
  const { id } = await registerVariant(registryUrl, () => undefined);
  const copy = Buffer.from(wire);
  copy.writeInt32BE(id, 1);
  return copy;
}

/** A ConsentEvent as a newer Lethe would write it: its payload is of a type this build does not know. */
export async function eventOfNewerType(registryUrl: string, event: ConsentEvent, type = 'ConsentFrozen'): Promise<Buffer> {
  const { registry, id } = await registerVariant(registryUrl, (schema) => {
    const payload = schema.fields.find((field) => field.name === 'payload') as { type: unknown[] };
    payload.type.push({ type: 'record', name: type, namespace: PAYLOAD_NAMESPACE, fields: [] });
  });
  return registry.encode(id, { ...event, payload: { [`${PAYLOAD_NAMESPACE}.${type}`]: {} } });
}
