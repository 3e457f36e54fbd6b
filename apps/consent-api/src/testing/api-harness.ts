import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import type { Admin, Consumer } from 'kafkajs';
import { ConsentEvent, ConsentEventCodec, TopicNames } from '@lethe/contracts';
import { createKafka, createSafeProducer } from '@lethe/kafka';
import type { ApiRuntime } from '../app.module';
import { createApiApp } from '../app';
import { Action, ACTIONS, ApiKeyStore } from '../auth/api-keys';
import { loadApiConfig } from '../config';
import { connectApiRuntime } from '../runtime';

// Shared by the consent API's e2e specs: the real app in-process on the test stack (its own
// PostgreSQL schema, its own topics under a fresh LETHE_TOPIC_PREFIX), called through Fastify's
// inject, and a reader of its consent.log. It cannot import @lethe/testing (apps may not depend on it outside specs), so
// specs pass their `waitFor` in.

export type Wait = <T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { description: string; timeoutMs?: number },
) => Promise<T>;

export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /** An object is sent as JSON; a string is sent as it is (for malformed bodies). */
  payload?: object | string;
  headers?: Record<string, string>;
  /** The API key; null sends none; undefined uses the harness' default key. */
  key?: string | null;
  /** The client address the request comes from (127.0.0.1 unless named). */
  remoteAddress?: string;
}

/** The only keys an error body may have (platform/http-errors.ts). */
export const ERROR_KEYS = ['statusCode', 'error', 'message', 'reason', 'field'];

export class ApiHarness {
  /** A key allowed every action on every purpose, used when a call names none. */
  defaultKey = '';

  private constructor(
    readonly runtime: ApiRuntime,
    readonly app: NestFastifyApplication,
    readonly schema: string,
  ) {}

  /** The settings the app was built with; pass them on to a projector that shares its database. */
  env: Record<string, string | undefined> = {};

  /**
   * Connects a runtime of its own (fresh schema, fresh master key, fresh topics, so no other
   * suite's records are ever read or folded here) and builds the app.
   */
  static async start(service: string, settings: Record<string, string> = {}): Promise<ApiHarness> {
    const schema = `api_${randomBytes(6).toString('hex')}`;
    // The suites share busy cores with other runs: a test process's event loop may run late
    // without the API being overloaded, so the delay bound is off unless a suite sets it.
    const env = { ...process.env, LETHE_API_MAX_LOOP_DELAY_MS: '60000', LETHE_DB_SCHEMA: schema, LETHE_TOPIC_PREFIX: `test.${randomBytes(4).toString('hex')}.`, LETHE_MASTER_KEY: randomBytes(32).toString('base64'), LETHE_SIGNING_KEY: randomBytes(32).toString('base64'), ...settings };
    const config = loadApiConfig(env);
    const runtime = await connectApiRuntime(config, service);
    const harness = new ApiHarness(runtime, await createApiApp(runtime), schema);
    harness.defaultKey = await harness.createKey(service);
    harness.env = env;
    return harness;
  }

  /**
   * The same app on the same database, but with a producer on a loopback port no broker listens
   * on, never connected, and a short broker timeout: every write must fail as unavailable.
   */
  async startWithoutBroker(brokerTimeoutMs = 500): Promise<NestFastifyApplication> {
    const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'consent-api-no-broker' });
    const runtime: ApiRuntime = {
      ...this.runtime,
      config: { ...this.runtime.config, brokerTimeoutMs },
      producer: createSafeProducer(kafka),
    };
    return createApiApp(runtime);
  }

  /** This app's topics (under its own prefix). */
  get topics(): TopicNames {
    return this.runtime.config.topics.names;
  }

  /** A reader of this app's consent.log, with the consumer it is given (a fresh group). */
  logTail(consumer: Consumer, wait: Wait): LogTail {
    return new LogTail(consumer, this.runtime.admin, this.runtime.codec, this.topics.consentLog, wait);
  }

  /** Creates an API key and returns it in plain. */
  async createKey(service: string, actions: Action[] = [...ACTIONS], purposes: string[] = ['*']): Promise<string> {
    const { key } = await new ApiKeyStore(this.runtime.db).create(service, { actions, purposes });
    return key;
  }

  call({ method, url, payload, headers = {}, key, remoteAddress }: Call, app: NestFastifyApplication = this.app): Promise<LightMyRequestResponse> {
    const token = key === undefined ? this.defaultKey : key;
    const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
    const contentType: Record<string, string> = typeof payload === 'string' ? { 'content-type': 'application/json' } : {};
    return app
      .getHttpAdapter()
      .getInstance()
      .inject({ method, url, payload, headers: { ...contentType, ...auth, ...headers }, remoteAddress });
  }

  post(url: string, payload?: object | string, options: Omit<Call, 'method' | 'url' | 'payload'> = {}) {
    return this.call({ method: 'POST', url, payload, ...options });
  }

  async close(): Promise<void> {
    await this.app.close(); // its EventLog disconnects the producer
    await this.runtime.admin.disconnect();
    await this.runtime.db.query(`drop schema if exists "${this.schema}" cascade`);
    await this.runtime.db.destroy();
  }
}

/**
 * Reads consent.log from the beginning with the consumer it is given (a fresh group), keeping
 * each record's key, and decodes the records of a subject when asked.
 */
export class LogTail {
  private readonly records: { partition: number; offset: string; key: string | undefined; value: Buffer | null }[] = [];
  private readonly decoded = new Map<string, Promise<ConsentEvent>>();
  private readonly nextOffset = new Map<number, bigint>();

  constructor(
    private readonly consumer: Consumer,
    private readonly admin: Admin,
    private readonly codec: ConsentEventCodec,
    private readonly topic: string,
    private readonly wait: Wait,
  ) {}

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ partition, message }) => {
        this.records.push({ partition, offset: message.offset, key: message.key?.toString(), value: message.value });
        this.nextOffset.set(partition, BigInt(message.offset) + 1n);
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }

  /** The subject's events read so far, in log order. */
  async eventsOf(subjectId: string): Promise<ConsentEvent[]> {
    return Promise.all(this.records.filter((record) => record.key === subjectId).map((record) => this.decode(record)));
  }

  /** Every event on the log now, of every subject (see settledEventsOf), in log order per partition. */
  async settledEvents(): Promise<ConsentEvent[]> {
    await this.settle();
    return Promise.all(this.records.map((record) => this.decode(record)));
  }

  private decode(record: { partition: number; offset: string; value: Buffer | null }): Promise<ConsentEvent> {
    const id = `${record.partition}:${record.offset}`;
    if (!this.decoded.has(id)) this.decoded.set(id, this.codec.decode(record.value));
    return this.decoded.get(id) as Promise<ConsentEvent>;
  }

  /** Waits until the event with this id has been read, and returns it. */
  eventWithId(subjectId: string, eventId: string): Promise<ConsentEvent> {
    return this.wait(async () => (await this.eventsOf(subjectId)).find((event) => event.event_id === eventId), {
      description: `event ${eventId} of ${subjectId} on ${this.topic}`,
    });
  }

  /**
   * Every event of the subject on the log now: waits until the reader has reached the end the
   * broker reports at this moment, so anything written before the call has been read.
   */
  async settledEventsOf(subjectId: string): Promise<ConsentEvent[]> {
    await this.settle();
    return this.eventsOf(subjectId);
  }

  /** Waits until the reader has reached the end the broker reports at this moment. */
  private async settle(): Promise<void> {
    const ends = await this.admin.fetchTopicOffsets(this.topic);
    await this.wait(
      () => ends.every(({ partition, high }) => BigInt(high) === 0n || (this.nextOffset.get(partition) ?? 0n) >= BigInt(high)),
      { description: `the reader to reach the end of ${this.topic}` },
    );
  }
}

/** Lines that look like a JavaScript stack frame. */
export const STACK_LINE = /^\s*at\s.+\(?.+:\d+:\d+\)?$/m;
