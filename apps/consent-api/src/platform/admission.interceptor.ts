import { CallHandler, ExecutionContext, HttpException, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { finalize, Observable } from 'rxjs';
import { Admission, isRefusal, ShedReason } from './admission';
import { Metrics } from './metrics';

const messages: Record<ShedReason, string> = {
  overloaded: 'the API has as many writes in progress as it takes; nothing was written, retry with the same Idempotency-Key',
  broker_unavailable: 'the event log is unavailable; retry with the same Idempotency-Key',
};

/** The body of a shed write's 503, wherever it is turned away. */
function shedBody(reason: ShedReason) {
  return { statusCode: HttpStatus.SERVICE_UNAVAILABLE, error: 'unavailable', reason, message: messages[reason] };
}

/** 503 with a reason and Retry-After (platform/http-errors.ts sets the header): nothing of the write was done. */
export class WriteShedException extends HttpException {
  constructor(
    readonly reason: ShedReason,
    readonly retryAfterSeconds: number,
  ) {
    super(shedBody(reason), HttpStatus.SERVICE_UNAVAILABLE);
  }
}

/**
 * Every POST of the API is a write to consent.log. Each is admitted (platform/admission.ts) after
 * its key is checked and before its body is validated or anything is read or written, and holds
 * its place until it is answered. `shedOnArrival` turns writes away earlier still, when admission
 * would refuse them anyway.
 */
@Injectable()
export class AdmissionInterceptor implements NestInterceptor {
  constructor(
    private readonly admission: Admission,
    private readonly metrics: Metrics,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.switchToHttp().getRequest<FastifyRequest>().method !== 'POST') return next.handle();
    const admitted = this.admission.admit();
    if (isRefusal(admitted)) {
      this.metrics.writesShed.inc({ reason: admitted.refused });
      throw new WriteShedException(admitted.refused, admitted.retryAfterSeconds);
    }
    return next.handle().pipe(finalize(() => admitted.release()));
  }
}

/**
 * A write that admission would refuse now is answered 503 in Fastify's first hook, before its body
 * is parsed or its key checked: under a flood, turning a request away must cost far less than
 * serving one, or the process spends its CPU on refusals while the rest wait unread in the kernel
 * until their clients time out (BENCHMARKS.md, under overload; docs/adr/0023). The same refusal
 * as the interceptor's, which still takes the place itself once the key is known.
 */
export function shedOnArrival(server: FastifyInstance, admission: Admission, metrics: Metrics): void {
  server.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    const refused = admission.refusalNow();
    if (!refused) return;
    metrics.writesShed.inc({ reason: refused.refused });
    // Node reads and drops the unread body once the answer is sent, so the connection stays usable.
    return reply
      .code(503)
      .header('Retry-After', String(refused.retryAfterSeconds))
      .send(shedBody(refused.refused));
  });
}
