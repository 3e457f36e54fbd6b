import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ConsentEvent, ConsentEventPayload, CONSENT_EVENT_PAYLOAD_TYPES } from './generated/consent-event';
import type { ConsentState } from './generated/consent-state';
import { loadSchema, PAYLOAD_NAMESPACE, SchemaName } from './schemas';

/** A record that cannot be read as a ConsentEvent. Not retriable: it goes to the dead-letter topic. */
export class UndecodableRecordError extends Error {
  readonly retriable = false;
  constructor(reason: string) {
    super(`undecodable record: ${reason}`);
    this.name = 'UndecodableRecordError';
  }
}

type WrappedPayload = Record<string, Record<string, unknown>>;
type AvroConsentEvent = Omit<ConsentEvent, 'payload'> & { payload: WrappedPayload };

/**
 * Encodes and decodes one topic's values in the Confluent wire format (magic byte, schema id,
 * Avro body) through a Confluent-compatible registry. The schema is registered once per
 * process, under a subject whose compatibility is pinned to BACKWARD first; concurrent callers
 * share that one registration. Decoding uses the writer's schema id from each record.
 */
export class RegistryCodec<T> {
  private schemaId?: Promise<number>;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly registryUrl: string,
    private readonly schema: SchemaName,
    private readonly subject: string,
    private readonly toAvro: (value: T) => unknown = (value) => value,
    private readonly fromAvro: (avro: never) => T = (avro) => avro as T,
  ) {}

  /** Registers the schema (once) and returns its id. */
  register(): Promise<number> {
    this.schemaId ??= this.registerOnce().catch((error: unknown) => {
      this.schemaId = undefined; // let a later call try again
      throw error;
    });
    return this.schemaId;
  }

  async encode(value: T): Promise<Buffer> {
    const id = await this.register();
    return this.registry.encode(id, this.toAvro(value));
  }

  async decode(value: Buffer | null): Promise<T> {
    if (!value || value.length < 5 || value[0] !== 0) {
      throw new UndecodableRecordError('not in the Confluent wire format');
    }
    let decoded: unknown;
    try {
      decoded = await this.registry.decode(value);
    } catch (error) {
      if (isRegistryUnavailable(error)) throw error; // retriable: the registry, not the record
      throw new UndecodableRecordError(`Avro body does not match schema ${value.readInt32BE(1)}`);
    }
    return this.fromAvro(decoded as never);
  }

  private async registerOnce(): Promise<number> {
    await setSubjectCompatibility(this.registryUrl, this.subject, COMPATIBILITY.BACKWARD);
    const { id } = await this.registry.register(
      { type: SchemaType.AVRO, schema: loadSchema(this.schema) },
      { subject: this.subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    return id;
  }
}

/** consent.log values. Avro's wrapped payload union becomes a union tagged by `type`. */
export class ConsentEventCodec extends RegistryCodec<ConsentEvent> {
  /** `subject`: consent.log's value subject under the configured prefix (`subjectsFor`). */
  static forRegistry(registryUrl: string, subject: string): ConsentEventCodec {
    return new ConsentEventCodec(new SchemaRegistry({ host: registryUrl }), registryUrl, 'consent-event', subject, toAvro, fromAvro);
  }
}

/** consent.state values. */
export class ConsentStateCodec extends RegistryCodec<ConsentState> {
  static forRegistry(registryUrl: string, subject: string): ConsentStateCodec {
    return new ConsentStateCodec(new SchemaRegistry({ host: registryUrl }), registryUrl, 'consent-state', subject);
  }
}

/**
 * Pins a subject's compatibility level. Apicurio's ccompat API reports NONE for subjects that
 * inherit its global rule, which the registry client treats as a mismatch; setting it on the
 * subject makes the level explicit on every Confluent-compatible registry. Apicurio answers 409
 * to the loser when two processes create the same subject's rule at once (as the API, the
 * projector and the worker do on a fresh registry); the rule then exists, and setting it again
 * succeeds.
 */
export async function setSubjectCompatibility(registryUrl: string, subject: string, level: COMPATIBILITY, attempts = 5) {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${registryUrl}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: level }),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return;
    if (response.status !== 409 || attempt >= attempts) {
      throw new Error(`schema registry refused compatibility ${level} for ${subject}: HTTP ${response.status}`);
    }
    await new Promise((done) => setTimeout(done, 50 * attempt));
  }
}

function toAvro({ payload, ...envelope }: ConsentEvent): AvroConsentEvent {
  const { type, ...fields } = payload;
  return { ...envelope, payload: { [`${PAYLOAD_NAMESPACE}.${type}`]: fields } };
}

function fromAvro({ payload, ...envelope }: AvroConsentEvent): ConsentEvent {
  const [fullName] = Object.keys(payload);
  const type = fullName.slice(PAYLOAD_NAMESPACE.length + 1);
  if (!(CONSENT_EVENT_PAYLOAD_TYPES as readonly string[]).includes(type)) {
    throw new UndecodableRecordError(`unknown payload type ${fullName}`);
  }
  return { ...envelope, payload: { type, ...payload[fullName] } as ConsentEventPayload };
}

function isRegistryUnavailable(error: unknown): boolean {
  const status = (error as { status?: number } | null)?.status;
  return status === undefined ? /ECONNREFUSED|ETIMEDOUT|fetch failed/.test(String(error)) : status >= 500;
}
