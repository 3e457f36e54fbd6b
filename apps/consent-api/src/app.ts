import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiModule, ApiRuntime } from './app.module';
import { MAX_BODY_DEPTH, nestedDeeperThan } from './platform/body-depth';
import { Admission } from './platform/admission';
import { shedOnArrival } from './platform/admission.guard';
import { Metrics } from './platform/metrics';

/** Builds the HTTP app on Fastify: bounded bodies, strict validation, metrics and /docs. */
export async function createApiApp(runtime: ApiRuntime): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: runtime.config.bodyLimitBytes,
    trustProxy: false,
    // Above the longest id we accept (128), so our own validation answers, naming the field.
    routerOptions: { maxParamLength: 256 },
    // Errors Fastify raises before routing: answer in our shape, never echoing the path.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void reply.code(400).send({
        statusCode: 400,
        error: tooLong ? 'validation' : 'bad_request',
        message: tooLong ? 'a path parameter is longer than 256 characters' : 'the URL is not valid',
      });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRuntime(runtime), adapter, {
    logger: runtime.config.logLevels,
    // Keeps each JSON body's bytes as well (request.rawBody): processor callbacks are verified
    // by an HMAC over the body exactly as sent. Parsing is unchanged for every route.
    rawBody: true,
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => {
        const [field, message] = firstProblem(errors);
        return new BadRequestException({ error: 'validation', field, message });
      },
    }),
  );
  const metrics = app.get(Metrics);
  // Before the rate limit and shedding, so that a request is counted whatever answers it; only those
  // refused before routing (frameworkErrors above: a malformed URL) are not. A client that hangs up
  // before its answer never reaches onResponse, so its wait is recorded when the connection closes.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      metrics.httpRequestsReceived.inc();
      reply.raw.once('close', () => {
        if (reply.raw.writableFinished) return;
        metrics.httpRequestSeconds.observe({ route: request.routeOptions?.url ?? 'unmatched', status: 'aborted' }, reply.elapsedTime / 1000);
      });
    });
  await app.register(rateLimit, {
    max: runtime.config.rateLimitPerMinute,
    timeWindow: 60_000,
    // Requests that carry no API key, per client address. Those with one are limited by the
    // guard, by key id once the key is known and per address while it is not (auth/rate-limits.ts).
    keyGenerator: (request) => request.ip,
    allowList: (request) =>
      request.url === '/health' || request.url === '/metrics' || request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'too_many_requests',
      message: `more than ${context.max} requests per minute from this address; retry after ${context.after}`,
    }),
  });
  // Before any handler, guard or pipe sees the body (validation would recurse through it).
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preValidation', async (request, reply) => {
      if (!nestedDeeperThan(request.body, MAX_BODY_DEPTH)) return;
      await reply.code(400).send({ statusCode: 400, error: 'validation', message: `the request body is nested deeper than ${MAX_BODY_DEPTH} levels` });
    });
  shedOnArrival(app.getHttpAdapter().getInstance(), app.get(Admission), metrics);
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions?.url ?? 'unmatched';
      metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
      metrics.httpRequestSeconds.observe({ route, status: `${String(reply.statusCode)[0]}xx` }, reply.elapsedTime / 1000);
    });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Lethe consent API')
      .setDescription('Writes consent facts to consent.log and reads the projected state.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** An unknown key named in a refusal: one shaped like a field name. Any other may be data (an e-mail address), so it is not repeated. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The first failing constraint, as [field path, message]; nested paths like identities[0].type. */
function firstProblem(errors: ValidationError[], parent = ''): [string | undefined, string] {
  const [error] = errors;
  const path = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : parent ? `${parent}.${error.property}` : error.property;
  if (error.constraints?.whitelistValidation) {
    if (FIELD_NAME.test(error.property)) return [path, `${path} is not a known field`];
    return [parent || undefined, `${parent ? `${parent} holds` : 'the body holds'} a key that is not a known field (not repeated: it is not a field name)`];
  }
  if (error.constraints) {
    const message = Object.values(error.constraints)[0];
    return [path, message.startsWith(error.property) ? message.replace(error.property, path) : `${path}: ${message}`];
  }
  return error.children?.length ? firstProblem(error.children, path) : [path, `${path} is invalid`];
}
