import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isDomainError } from '@lethe/consent-domain';
import { BrokerUnavailableError } from './event-log';

const domainStatus = { validation: 400, not_found: 404, illegal_state: 409, concurrency: 412 } as const;

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  reason?: string;
  field?: string;
}

/**
 * Every error leaves as JSON `{ statusCode, error, message, reason?, field? }`: what is wrong,
 * never a stack trace or a value the caller sent (it may be personal data).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception);
    if (exception instanceof BrokerUnavailableError) reply.header('Retry-After', '5');
    reply.status(body.statusCode).send(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (isDomainError(exception)) {
      const statusCode = domainStatus[exception.code];
      return { statusCode, error: exception.code, reason: exception.reason, message: exception.message, ...field(exception.field) };
    }
    if (exception instanceof BrokerUnavailableError) {
      return { statusCode: 503, error: 'unavailable', message: 'the event log is unavailable; retry with the same Idempotency-Key' };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const response = exception.getResponse() as string | { message?: string | string[]; error?: string; reason?: string; field?: string };
      const raw = typeof response === 'string' ? response : response.message ?? exception.message;
      const message = Array.isArray(raw) ? raw.join('; ') : raw;
      const error = typeof response === 'object' && response.error === 'validation' ? 'validation' : statusName(statusCode);
      const details = typeof response === 'object' ? response : {};
      return { statusCode, error, message, ...(details.reason ? { reason: details.reason } : {}), ...field(details.field) };
    }
    const status = (exception as { statusCode?: number })?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Fastify's own refusals (body too large, malformed JSON, wrong content type).
      return { statusCode: status, error: statusName(status), message: (exception as Error).message };
    }
    this.logger.error(`unhandled ${(exception as Error)?.name ?? 'error'}: ${(exception as Error)?.message ?? ''}`);
    return { statusCode: 500, error: 'internal', message: 'internal error' };
  }
}

function field(name: string | null | undefined): { field?: string } {
  return name ? { field: name } : {};
}

const statusNames: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
};

function statusName(status: number): string {
  return statusNames[status] ?? (status >= 500 ? 'internal' : 'bad_request');
}
