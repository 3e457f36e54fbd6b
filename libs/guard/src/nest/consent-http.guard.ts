import { BadRequestException, CanActivate, ExecutionContext, ForbiddenException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ConsentGuard } from './core';
import { CONSENT_REQUIREMENT, ConsentRequirement } from './requirement';
import { subjectOfRequest } from './subject';

/** Seconds a client is asked to wait while the guard catches up. */
const RETRY_AFTER_SECONDS = 1;

/** @RequiresConsent on HTTP routes; other contexts (microservice handlers) pass to the interceptor. */
@Injectable()
export class ConsentHttpGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly guard: ConsentGuard,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const requirement = this.reflector.getAllAndOverride<ConsentRequirement | undefined>(CONSENT_REQUIREMENT, [context.getHandler(), context.getClass()]);
    if (!requirement) return true;
    const http = context.switchToHttp();
    const lookup = subjectOfRequest(http.getRequest(), requirement.subjectFrom);
    if ('problem' in lookup) {
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `this route needs a subject to check consent to ${requirement.purpose}; ${lookup.problem}` });
    }
    const decision = this.guard.allowed(lookup.subjectId, requirement.purpose);
    if (decision.allowed) return true;
    if (decision.reason === 'not_ready' || decision.reason === 'stale') {
      // Not an answer about the subject: the guard does not know yet. Ask to retry.
      setRetryAfter(http.getResponse());
      const why = decision.reason === 'not_ready' ? 'has not caught up with consent.state yet' : 'has not heard from consent.state recently';
      throw new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', message: `the consent guard ${why}; retry shortly`, reason: decision.reason });
    }
    throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: `processing ${requirement.purpose} is not allowed for this subject`, reason: decision.reason });
  }
}

/** Fastify's reply (header) or Express' response (setHeader). */
function setRetryAfter(response: { header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown }): void {
  if (typeof response.header === 'function') response.header('Retry-After', String(RETRY_AFTER_SECONDS));
  else response.setHeader?.('Retry-After', String(RETRY_AFTER_SECONDS));
}
