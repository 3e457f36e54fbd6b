import type { EachMessageHandler, EachMessagePayload, KafkaMessage } from 'kafkajs';
import type { ConsentDecision } from './decision';
import type { ConsentGuard } from './consent-guard';

export interface GuardedEachMessageOptions {
  /** The consent purpose or opt-out kind the handler processes for. */
  purpose: string;
  /** The message's subject; null or undefined: the message is about no subject and passes. */
  subjectOf: (message: KafkaMessage) => string | null | undefined;
  /** Told of every skipped message, after it is counted. */
  onSkipped?: (payload: EachMessagePayload, decision: ConsentDecision) => void;
}

/**
 * Wraps a service's kafkajs eachMessage handler for its own topic: a message whose subject may
 * not be processed for the purpose is skipped (the handler is not called, so kafkajs commits its
 * offset) and counted in lethe_guard_skipped_messages_total. It never decides before the guard
 * knows: until the guard is ready, and while it is stale, it waits (heartbeating), so a queued job
 * of a subject who opted out is not processed because the guard was behind.
 */
export function guardedEachMessage(guard: ConsentGuard, options: GuardedEachMessageOptions, handler: EachMessageHandler): EachMessageHandler {
  return async (payload) => {
    const subjectId = options.subjectOf(payload.message);
    if (subjectId === null || subjectId === undefined) return handler(payload);
    const decision = await guard.decisionWhenKnown(subjectId, options.purpose, payload.heartbeat);
    if (decision.allowed) return handler(payload);
    guard.countSkipped(options.purpose);
    options.onSkipped?.(payload, decision);
  };
}
