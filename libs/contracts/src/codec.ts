import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ConsentEvent, ConsentEventPayload, CONSENT_EVENT_PAYLOAD_TYPES } from './generated/consent-event';
import type { ConsentState } from './generated/consent-state';
import type { OptOutNotice } from './generated/opt-out-notice';
import { DecodeError, RegistryUnavailableError, UnknownPayloadTypeError } from './decode-errors';
import { loadSchema, PAYLOAD_NAMESPACE, SchemaName } from './schemas';

/** How long one registry request may take before it counts as an outage. */
const REGISTRY_TIMEOUT_MS = 10_000;
type RegistryArgs = ConstructorParameters<typeof SchemaRegistry>[0];
const withTimeout: NonNullable<RegistryArgs['middlewares']>[number] = () => ({
  prepareRequest: (next) => next().then((request) => request.enhance({ timeout: REGISTRY_TIMEOUT_MS })),
});

/** A registry client whose requests give up after REGISTRY_TIMEOUT_MS instead of hanging. */
export function registryClient(registryUrl: string): SchemaRegistry {
  return new SchemaRegistry({ host: registryUrl, middlewares: [withTimeout] });
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
  private readonly writers = new Map<number, Promise<{ name?: string }>>();
  /** The Avro full name every writer's schema of this topic must have. */
  private readonly recordName: string;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly registryUrl: string,
    private readonly schema: SchemaName,
    private readonly subject: string,
    private readonly toAvro: (value: T) => unknown = (value) => value,
    private readonly fromAvro: (avro: never) => T = (avro) => avro as T,
  ) {
    const { namespace, name } = JSON.parse(loadSchema(schema)) as { namespace: string; name: string };
    this.recordName = `${namespace}.${name}`;
  }

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

  /**
   * Decodes one record, or says why not: DecodeError (the bytes: dead-letter them),
   * RegistryUnavailableError (the registry: retry), UnknownPayloadTypeError (a newer writer).
   * The writer's schema is fetched first, so a failure there is never blamed on the datum.
   */
  async decode(value: Buffer | null): Promise<T> {
    if (!value || value.length < 5 || value[0] !== 0) {
      throw new DecodeError('not_avro', 'not in the Confluent wire format (magic byte 0, schema id, Avro body)');
    }
    const id = value.readInt32BE(1);
    const writer = await this.writerSchema(id);
    if (writer.name !== this.recordName) throw new DecodeError('unknown_schema', `schema ${id} is not a ${this.recordName}`);
    let decoded: unknown;
    try {
      decoded = await this.registry.decode(value); // the writer's schema is cached by now
    } catch {
      throw new DecodeError('corrupt_datum', `the Avro body does not match schema ${id}`);
    }
    return this.fromAvro(decoded as never);
  }

  /**
   * A 404 is believed only from a registry that otherwise answers: asked again, it still does not
   * know the id, while it does return the schema this process registered. Anything else (refused,
   * timed out, 5xx, 401, 403, 409, a 404 for every id) is an outage.
   */
  private writerSchema(id: number): Promise<{ name?: string }> {
    // One lookup per id in flight: the registry client caches a schema only once it has compiled it,
    // so records decoded together before then would each fetch and compile it again.
    let writer = this.writers.get(id);
    if (!writer) {
      writer = this.fetchWriterSchema(id);
      this.writers.set(id, writer);
      writer.catch(() => this.writers.delete(id)); // an outage or an unknown id is asked again next time
    }
    return writer;
  }

  private async fetchWriterSchema(id: number): Promise<{ name?: string }> {
    for (let asked = 1; ; asked++) {
      try {
        return (await this.registry.getSchema(id)) as { name?: string };
      } catch (error) {
        const status = (error as { status?: unknown }).status;
        if (typeof status !== 'number') throw new DecodeError('unknown_schema', `schema ${id} is not an Avro schema this codec can read`);
        if (status !== 404) throw new RegistryUnavailableError(`fetching schema ${id}: ${registryProblem(error as Error, status)}`);
        if (asked >= 2 && (await this.answersKnownSchema())) throw new DecodeError('unknown_schema', `schema ${id} is unknown to the registry`);
        if (asked >= 2) throw new RegistryUnavailableError(`schema ${id} not found, and the registry does not return known schemas either`);
      }
    }
  }

  /** Whether the registry returns the schema this process registered: it is up, and it is the right one. */
  private async answersKnownSchema(): Promise<boolean> {
    try {
      const known = await this.register();
      const response = await fetch(`${this.registryUrl}/schemas/ids/${known}`, { signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS) });
      return response.ok;
    } catch {
      return false;
    }
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
    return new ConsentEventCodec(registryClient(registryUrl), registryUrl, 'consent-event', subject, toAvro, fromAvro);
  }
}

/** consent.state values. */
export class ConsentStateCodec extends RegistryCodec<ConsentState> {
  static forRegistry(registryUrl: string, subject: string): ConsentStateCodec {
    return new ConsentStateCodec(registryClient(registryUrl), registryUrl, 'consent-state', subject);
  }
}

/** consent.opt-outs values. */
export class OptOutNoticeCodec extends RegistryCodec<OptOutNotice> {
  static forRegistry(registryUrl: string, subject: string): OptOutNoticeCodec {
    return new OptOutNoticeCodec(registryClient(registryUrl), registryUrl, 'opt-out-notice', subject);
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
    throw new UnknownPayloadTypeError(type);
  }
  return { ...envelope, payload: { type, ...payload[fullName] } as ConsentEventPayload };
}

/** The registry client reports refused connections and timeouts as a 400 carrying the cause. */
function registryProblem(error: Error, status: number): string {
  const network = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Timeout \(\d+ms\)/.exec(error.message);
  return network ? network[0] : `HTTP ${status}`;
}
