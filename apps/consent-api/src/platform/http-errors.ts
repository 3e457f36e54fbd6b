import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isDomainError } from '@lethe/consent-domain';
import { RateLimitedException } from '../auth/rate-limits';
import { RETRY_AFTER_SECONDS } from './admission';
import { WriteShedException } from './admission.guard';
import { BrokerUnavailableError } from './event-log';
import { KeyInProgressException } from '../idempotency/idempotency-store';
import { isDatabaseOutage, safeErrorSummary } from '@lethe/config';

/** How Nest's router refuses a path no route has: `Cannot GET /the/path`. */
const UNMATCHED_ROUTE = /^Cannot [A-Z]+ \//;

/** What a client is told to wait while PostgreSQL does not answer (restarting, connections cut). */
const DATABASE_RETRY_AFTER_SECONDS = 2;

/** While PostgreSQL is down, one warning this often, not one per request turned away. */
const OUTAGE_WARNING_EVERY_MS = 10_000;

/**
 * Warns of a database outage at its first refused request, then at most every 10 s with the
 * count of requests answered 503 meanwhile: an outage at load would otherwise log a line per request.
 */
export class OutageWarnings {
  private warnedAt = -Infinity;
  private unwarned = 0;

  constructor(
    private readonly warn: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  note(summary: string): void {
    this.unwarned++;
    if (this.now() - this.warnedAt < OUTAGE_WARNING_EVERY_MS) return;
    this.warn(`database unavailable: ${summary}; ${this.unwarned} request(s) answered 503 since the last warning`);
    this.warnedAt = this.now();
    this.unwarned = 0;
  }
}

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
  private readonly outageWarnings = new OutageWarnings((line) => this.logger.warn(line));

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toBody(exception);
    if (exception instanceof BrokerUnavailableError) reply.header('Retry-After', String(RETRY_AFTER_SECONDS.broker_unavailable));
    if (exception instanceof RateLimitedException || exception instanceof WriteShedException || exception instanceof KeyInProgressException) reply.header('Retry-After', String(exception.retryAfterSeconds));
    if (body.reason === 'database_unavailable') reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
    reply.status(body.statusCode).send(body);
  }

  private toBody(exception: unknown): ErrorBody {
    if (isDomainError(exception)) {
      const statusCode = domainStatus[exception.code];
      return { statusCode, error: exception.code, reason: exception.reason, message: exception.message, ...field(exception.field) };
    }
    if (exception instanceof BrokerUnavailableError) {
      return { statusCode: 503, error: 'unavailable', reason: 'broker_unavailable', message: 'the event log is unavailable; retry with the same Idempotency-Key' };
    }
    if (exception instanceof WriteShedException) {
      return exception.getResponse() as ErrorBody;
    }
    if (isFrameworkRefusal(exception)) {
      // Fastify's own refusals (malformed JSON, body too large, wrong content type). A fixed
      // message: a parser's own may quote the body near the error, which may be personal data.
      const status = exception instanceof HttpException ? exception.getStatus() : (exception as { statusCode: number }).statusCode;
      return { statusCode: status, error: statusName(status), message: frameworkMessages[status] ?? 'the request is malformed' };
    }
    if (exception instanceof NotFoundException && UNMATCHED_ROUTE.test(exception.message)) {
      // Nest's own answer for a path no route has quotes the path, which may hold an e-mail address.
      return { statusCode: 404, error: 'not_found', message: 'no route has this method and path (the routes are listed at /docs)' };
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
    if (isDatabaseOutage(exception)) {
      // An outage, not a fault of the request: the same request may pass once the database is back.
      this.outageWarnings.note(safeErrorSummary(exception));
      return { statusCode: 503, error: 'unavailable', reason: 'database_unavailable', message: 'the database is unavailable; retry with the same Idempotency-Key' };
    }
    this.logger.error(`unhandled ${safeErrorSummary(exception)}`);
    return { statusCode: 500, error: 'internal', message: 'internal error' };
  }
}

/** Nest hands Fastify's errors on as a plain HttpException (ours are all subclasses); one it does not map still carries its 4xx statusCode. */
function isFrameworkRefusal(exception: unknown): boolean {
  if (exception instanceof HttpException) return exception.constructor === HttpException;
  const status = (exception as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function field(name: string | null | undefined): { field?: string } {
  return name ? { field: name } : {};
}

const frameworkMessages: Record<number, string> = {
  400: 'the request body is not valid JSON',
  413: 'the request body is larger than this API accepts',
  415: 'the content type is not supported: send application/json',
};

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
