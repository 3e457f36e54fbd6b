import { Body, Controller, Get, INestMicroservice, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload, ServerKafka } from '@nestjs/microservices';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Admin, Partitioners, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { ConsentStateCodec, OptOutNotice, OptOutNoticeCodec, subjectsFor, topicsFor } from '@lethe/contracts';
import { createFreshTopic, createLetheTopics, freshTopicSet, stateOfKind, testEndpoints, testKafka, uniqueName, waitFor, writeNotices, writeStateRecords } from '@lethe/testing';
import { ConsentGuard } from '../consent-guard';
import { ConsentGuardModule, RequiresConsent, SkippedMessage } from '.';

// @RequiresConsent in real Nest apps (Fastify HTTP, and the Kafka microservice transport) with a
// real ConsentGuard following consent.state and consent.opt-outs under a fresh topic prefix.

const kafka = testKafka('guard-nest');
const registryUrl = testEndpoints().schemaRegistryUrl;
const GRANTED = 'subj-granted';
const WITHDRAWN = 'subj-withdrawn';
const LATER_RESTRICTED = 'subj-later';
let admin: Admin;
let producer: Producer;
let topicSet: ReturnType<typeof freshTopicSet>;
let noticeCodec: OptOutNoticeCodec;

function withdrawal(subject_id: string, version: number): OptOutNotice {
  const now = Date.now();
  return { subject_id, version, change: 'RESTRICTED', cause: 'WITHDRAWN', all: false, purposes: ['marketing'], opt_outs: [], jurisdiction: 'GDPR', effective_at: now, recorded_at: now, cause_event_id: uniqueName('event'), log_partition: 0, log_offset: version };
}

const guardOptions = (service: string, metrics: Registry) => ({ kafka, schemaRegistryUrl: registryUrl, topicPrefix: topicSet.prefix, service, metrics });

beforeAll(async () => {
  admin = kafka.admin();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await Promise.all([admin.connect(), producer.connect()]);
  topicSet = freshTopicSet(admin);
  const names = topicsFor(topicSet.prefix);
  await createLetheTopics(admin, names, 1);
  const subjects = subjectsFor(names);
  noticeCodec = OptOutNoticeCodec.forRegistry(registryUrl, subjects.optOutsValue);
  await writeStateRecords(producer, ConsentStateCodec.forRegistry(registryUrl, subjects.consentStateValue), names.consentState, [
    { key: GRANTED, state: stateOfKind(GRANTED, 0, 3) }, // marketing granted
    { key: WITHDRAWN, state: stateOfKind(WITHDRAWN, 1, 3) }, // marketing withdrawn
    { key: LATER_RESTRICTED, state: stateOfKind(LATER_RESTRICTED, 0, 3) },
  ]);
});

afterAll(async () => {
  await topicSet?.drop();
  await Promise.all([admin?.disconnect(), producer?.disconnect()]);
});

describe('@RequiresConsent on HTTP routes', () => {
  @Controller()
  class OffersController {
    @Get('subjects/:subjectId/offers')
    @RequiresConsent('marketing')
    offers(@Param('subjectId') subjectId: string) {
      return { offersFor: subjectId };
    }

    @Get('customers/:id/newsletter')
    @RequiresConsent('marketing', { subjectFrom: 'id' })
    newsletter() {
      return { subscribed: true };
    }

    @Post('offers')
    @RequiresConsent('marketing', { subjectFrom: (request) => (request as { body?: { customer?: string } }).body?.customer })
    offer(@Body() body: { customer: string }) {
      return { offered: body.customer };
    }

    @Get('status')
    status() {
      return { up: true };
    }
  }

  let app: NestFastifyApplication;
  const get = (url: string) => app.getHttpAdapter().getInstance().inject({ method: 'GET', url });

  beforeAll(async () => {
    @Module({ imports: [ConsentGuardModule.forRootAsync({ useFactory: async () => guardOptions('nest-http-test', new Registry()) })], controllers: [OffersController] })
    class OffersModule {}
    app = await NestFactory.create<NestFastifyApplication>(OffersModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
    await app.init(); // the guard is started and caught up before this resolves (waitUntilReady)
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(() => app?.close());

  it('runs the handler for a subject who granted the purpose', async () => {
    expect(app.get(ConsentGuard).isReady).toBe(true);
    const response = await get(`/subjects/${GRANTED}/offers`);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ offersFor: GRANTED });
  });

  it('answers 403 with the reason for a restricted or unknown subject, never naming the subject', async () => {
    for (const [subject, reason] of [[WITHDRAWN, 'withdrawn'], ['subj-never-seen', 'no_record']]) {
      const response = await get(`/subjects/${subject}/offers`);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({ statusCode: 403, error: 'Forbidden', message: 'processing marketing is not allowed for this subject', reason });
      expect(response.body).not.toContain(subject);
    }
  });

  it('reads the subject from the named route parameter or a function of the request', async () => {
    expect((await get(`/customers/${GRANTED}/newsletter`)).json()).toEqual({ subscribed: true });
    expect((await get(`/customers/${WITHDRAWN}/newsletter`)).statusCode).toBe(403);
    const post = (customer?: string) => app.getHttpAdapter().getInstance().inject({ method: 'POST', url: '/offers', payload: customer ? { customer } : {} });
    expect((await post(GRANTED)).json()).toEqual({ offered: GRANTED });
    expect((await post(WITHDRAWN)).statusCode).toBe(403);
    const missing = await post();
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ statusCode: 400, error: 'Bad Request', message: 'this route needs a subject to check consent to marketing; no subject id: the subjectFrom function is missing, empty or not a string' });
  });

  it('leaves routes without the decorator alone', async () => {
    expect((await get('/status')).statusCode).toBe(200);
  });

  it('refuses a subject as soon as a restriction notice arrives', async () => {
    expect((await get(`/subjects/${LATER_RESTRICTED}/offers`)).statusCode).toBe(200);
    await writeNotices(producer, noticeCodec, topicSet.optOuts, [withdrawal(LATER_RESTRICTED, 4)]);
    await waitFor(async () => (await get(`/subjects/${LATER_RESTRICTED}/offers`)).statusCode === 403, { description: 'the route to refuse the subject after the notice' });
    expect((await get(`/subjects/${GRANTED}/offers`)).statusCode).toBe(200);
  });
});

describe('@RequiresConsent on a Kafka microservice handler', () => {
  const handled: unknown[] = [];
  const skips: SkippedMessage[] = [];
  const metrics = new Registry();
  let jobs: string;
  let groupId: string;
  let app: INestMicroservice;

  beforeAll(async () => {
    jobs = await createFreshTopic(admin, 'guard-nest-jobs');
    groupId = uniqueName('test.guard-nest-jobs');

    @Controller()
    class JobsController {
      @EventPattern(jobs)
      @RequiresConsent('marketing', { onSkipped: (skip) => skips.push(skip) })
      send(@Payload() job: unknown) {
        handled.push(job);
      }
    }

    @Module({ imports: [ConsentGuardModule.forRoot(guardOptions('nest-rpc-test', metrics))], controllers: [JobsController] })
    class JobsModule {}
    app = await NestFactory.createMicroservice(JobsModule, {
      logger: ['error', 'warn'],
      strategy: new ServerKafka({ postfixId: '', client: { brokers: testEndpoints().kafkaBrokers, clientId: 'guard-nest-jobs' }, consumer: { groupId, maxWaitTimeInMs: 100 }, subscribe: { fromBeginning: true }, producer: { createPartitioner: Partitioners.DefaultPartitioner } }),
    });
    await app.listen();
  });

  afterAll(() => app?.close());

  it('calls the handler for allowed subjects, and skips (committing) restricted ones and jobs naming no subject', async () => {
    const send = (job: object) => ({ key: 'job', value: JSON.stringify(job) });
    await producer.send({ topic: jobs, messages: [send({ subjectId: GRANTED, issue: 1 }), send({ subjectId: WITHDRAWN, issue: 1 }), send({ issue: 1 }), send({ subjectId: GRANTED, issue: 2 })] });

    // Every job is committed, handled or not: the transport acknowledged the skipped ones too.
    const [{ high }] = await admin.fetchTopicOffsets(jobs);
    await waitFor(async () => (await admin.fetchOffsets({ groupId, topics: [jobs] }))[0].partitions[0].offset === high, { description: 'the jobs group to commit every job' });
    expect(handled).toEqual([{ subjectId: GRANTED, issue: 1 }, { subjectId: GRANTED, issue: 2 }]);

    expect(skips.map(({ subjectId, decision }) => [subjectId, decision?.reason ?? null, decision?.version ?? null])).toEqual([
      [WITHDRAWN, 'withdrawn', 3],
      [null, null, null],
    ]);
    expect(skips[1].data).toEqual({ issue: 1 });
    const skipped = (await metrics.getSingleMetric('lethe_guard_skipped_messages_total')?.get())?.values;
    expect(skipped).toEqual([{ labels: { service: 'nest-rpc-test', purpose: 'marketing' }, value: 2 }]);
  });

  it('stops the guard when the application closes', async () => {
    const guard = app.get(ConsentGuard);
    await app.close();
    await expect(guard.decisionWhenKnown(GRANTED, 'marketing')).rejects.toThrow('ConsentGuard stopped');
  });
});
