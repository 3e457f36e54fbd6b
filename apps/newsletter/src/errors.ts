import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { safeErrorSummary } from '@lethe/config';

/**
 * HTTP errors as JSON `{statusCode, error, message, field?}`. Fastify's own refusals (malformed
 * JSON, a body too large) get a fixed message: a parser's may quote the body. Microservice
 * handlers are not HTTP and are left to the transport.
 */
@Catch()
export class FixedMessageErrors implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception);
    reply.status(body.statusCode).send(body);
  }

  private toBody(exception: unknown): { statusCode: number; error: string; message: string } {
    if (exception instanceof HttpException && exception.constructor !== HttpException) {
      const response = exception.getResponse();
      return typeof response === 'object' ? (response as { statusCode: number; error: string; message: string }) : { statusCode: exception.getStatus(), error: exception.name, message: response };
    }
    const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode?: unknown })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return { statusCode: status, error: 'Bad Request', message: status === 413 ? 'the request body is too large' : 'the request is malformed (send a JSON body)' };
    }
    this.logger.error(`unhandled ${safeErrorSummary(exception)}`);
    return { statusCode: 500, error: 'Internal Server Error', message: 'internal error' };
  }
}
