import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ApiModule, ApiRuntime } from './app.module';
import { Metrics } from './platform/metrics';

/** Builds the HTTP app on Fastify: bounded bodies, strict validation, metrics and /docs. */
export async function createApiApp(runtime: ApiRuntime): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: runtime.config.bodyLimitBytes, trustProxy: false });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRuntime(runtime), adapter, {
    logger: ['error', 'warn', 'log'],
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
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions?.url ?? 'unmatched';
      metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
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

/** The first failing constraint, as [field path, message]; nested paths like identities[0].type. */
function firstProblem(errors: ValidationError[], parent = ''): [string, string] {
  const [error] = errors;
  const path = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : parent ? `${parent}.${error.property}` : error.property;
  if (error.constraints?.whitelistValidation) return [path, `${path} is not a known field`];
  if (error.constraints) {
    const message = Object.values(error.constraints)[0];
    return [path, message.startsWith(error.property) ? message.replace(error.property, path) : `${path}: ${message}`];
  }
  return error.children?.length ? firstProblem(error.children, path) : [path, `${path} is invalid`];
}
