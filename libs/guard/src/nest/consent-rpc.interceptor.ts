import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, mergeMap, Observable, of } from 'rxjs';
import { ConsentDecision, ConsentGuard } from './core';
import { CONSENT_REQUIREMENT, ConsentRequirement } from './requirement';
import { subjectOfMessage } from './subject';

/**
 * @RequiresConsent on @nestjs/microservices handlers (@EventPattern, @MessagePattern): a message
 * for a subject the guard restricts is skipped (the handler is not called, the result is
 * undefined, so the transport acknowledges and commits it), counted and reported to onSkipped.
 * A message that names no subject is skipped the same way, with a warning: a handler that needs
 * consent cannot act for nobody. HTTP contexts pass to the guard.
 */
@Injectable()
export class ConsentRpcInterceptor implements NestInterceptor {
  private readonly logger = new Logger('ConsentGuard');

  constructor(
    private readonly reflector: Reflector,
    private readonly guard: ConsentGuard,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const requirement = this.reflector.getAllAndOverride<ConsentRequirement | undefined>(CONSENT_REQUIREMENT, [context.getHandler(), context.getClass()]);
    if (!requirement) return next.handle();
    return from(this.admits(requirement, context)).pipe(mergeMap((admitted) => (admitted ? next.handle() : of(undefined))));
  }

  private async admits(requirement: ConsentRequirement, context: ExecutionContext): Promise<boolean> {
    const rpc = context.switchToRpc();
    const data = rpc.getData();
    const lookup = subjectOfMessage(data, requirement.subjectFrom);
    if ('problem' in lookup) {
      this.logger.warn(`skipped a message for ${context.getClass().name}.${context.getHandler().name} (${requirement.purpose}): ${lookup.problem}`);
      this.skipped(requirement, { subjectId: null, decision: null, data });
      return false;
    }
    // Before the guard has caught up, or while it is stale, this waits (keeping a Kafka consumer's session alive).
    const decision = await this.guard.decisionWhenKnown(lookup.subjectId, requirement.purpose, heartbeatOf(rpc.getContext()));
    if (decision.allowed) return true;
    this.skipped(requirement, { subjectId: lookup.subjectId, decision, data });
    return false;
  }

  private skipped(requirement: ConsentRequirement, skip: { subjectId: string | null; decision: ConsentDecision | null; data: unknown }): void {
    this.guard.countSkipped(requirement.purpose);
    try {
      requirement.onSkipped?.({ purpose: requirement.purpose, ...skip });
    } catch {
      // The skip stands: a failing report must not make the transport redeliver the message.
      this.logger.warn(`the onSkipped callback of a ${requirement.purpose} handler failed`);
    }
  }
}

/** A Kafka transport's context can keep the consumer's session alive while a message waits; other transports have nothing to keep alive. */
function heartbeatOf(transport: unknown): () => Promise<void> {
  const getHeartbeat = (transport as { getHeartbeat?: () => () => Promise<void> } | null)?.getHeartbeat;
  return typeof getHeartbeat === 'function' ? getHeartbeat.call(transport) : async () => undefined;
}
