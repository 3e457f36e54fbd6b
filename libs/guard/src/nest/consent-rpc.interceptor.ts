import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, mergeMap, Observable, of } from 'rxjs';
import { ConsentDecision, ConsentGuard } from './core';
import { CONSENT_REQUIREMENT, ConsentRequirement } from './requirement';
import { SkipCounter } from './skip-counter';
import { subjectOfMessage } from './subject';

/** How long one wait for the guard lasts before the consumer's session is kept alive again. */
const WAIT_SLICE_MS = 1_000;

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
    private readonly skips: SkipCounter,
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
    const decision = await this.settledDecision(lookup.subjectId, requirement.purpose, rpc.getContext());
    if (decision.allowed) return true;
    this.skipped(requirement, { subjectId: lookup.subjectId, decision, data });
    return false;
  }

  /** The guard's answer once it knows: before it has caught up, or while it is stale, the message waits. */
  private async settledDecision(subjectId: string, purpose: string, transport: unknown): Promise<ConsentDecision> {
    for (;;) {
      const decision = this.guard.allowed(subjectId, purpose);
      if (decision.allowed || (decision.reason !== 'not_ready' && decision.reason !== 'stale')) return decision;
      if (decision.reason === 'not_ready') await this.guard.ready(WAIT_SLICE_MS).catch(() => undefined);
      else await new Promise((resolve) => setTimeout(resolve, WAIT_SLICE_MS / 10));
      await heartbeatOf(transport)?.();
    }
  }

  private skipped(requirement: ConsentRequirement, skip: { subjectId: string | null; decision: ConsentDecision | null; data: unknown }): void {
    this.skips.count(requirement.purpose);
    try {
      requirement.onSkipped?.({ purpose: requirement.purpose, ...skip });
    } catch {
      // The skip stands: a failing report must not make the transport redeliver the message.
      this.logger.warn(`the onSkipped callback of a ${requirement.purpose} handler failed`);
    }
  }
}

/** A Kafka transport's context can keep the consumer's session alive while a message waits. */
function heartbeatOf(transport: unknown): (() => Promise<void>) | undefined {
  const getHeartbeat = (transport as { getHeartbeat?: () => () => Promise<void> } | null)?.getHeartbeat;
  return typeof getHeartbeat === 'function' ? getHeartbeat.call(transport) : undefined;
}
