import { CanActivate, ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
 * its key is checked (a global guard registered after ApiKeyGuard; a processor's signed callback is
 * admitted before its route's own guard checks the signature) and before its body is validated or
 * anything is read or written, and holds its place until its answer is sent or its
 * client leaves. `shedOnArrival` turns writes away earlier still, when admission would refuse them
 * anyway. A guard, not an interceptor: Nest wraps each interceptor of a request in rxjs and binds
 * it to an AsyncResource twice, a cost every write paid (BENCHMARKS.md, the API's profile).
 */
@Injectable()
export class AdmissionGuard implements CanActivate {
  constructor(
    private readonly admission: Admission,
    private readonly metrics: Metrics,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    if (http.getRequest<FastifyRequest>().method !== 'POST') return true;
    const admitted = this.admission.admit();
    if (isRefusal(admitted)) {
      this.metrics.writesShed.inc({ reason: admitted.refused });
      throw new WriteShedException(admitted.refused, admitted.retryAfterSeconds);
    }
    // 'close' follows the answer, or the connection's end without one: either way the place is free.
    http.getResponse<FastifyReply>().raw.once('close', () => admitted.release());
    return true;
  }
}

/**
 * A write that admission would refuse now is answered 503 in Fastify's first hook, before its body
 * is parsed or its key checked: under a flood, turning a request away must cost far less than
 * serving one, or the process spends its CPU on refusals while the rest wait unread in the kernel
 * until their clients time out (BENCHMARKS.md, under overload; docs/adr/0023). The same refusal
 * as the guard's, which still takes the place itself once the key is known.
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
