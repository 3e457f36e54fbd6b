import { Logger } from '@nestjs/common';
import { evidenceHash } from '@lethe/consent-domain';
import { ConsentEvent, ConsentEventPayload, erasureStepCompletedId, erasureStepFailedId, optOutStepCompletedId, optOutStepFailedId } from '@lethe/contracts';
import { decryptIdentities, KeyStore } from '@lethe/identity-vault';
import type { OutstandingSteps } from '@lethe/persistence';
import { BackoffPolicy, Connector, ConnectorError, ErasureOutcome, ErasureTarget, retryDelayMs } from '@lethe/connectors';
import type { Work } from './work';

export interface StepRunnerDeps {
  system: string;
  connector: Connector;
  keyStore: Pick<KeyStore, 'keyById'>;
  steps: OutstandingSteps;
  backoff: BackoffPolicy;
  /** Appends to consent.log and resolves once the broker has it. */
  append: (events: ConsentEvent[]) => Promise<void>;
  now?: () => number;
}

export type StepResult = 'completed' | 'awaiting-confirmation' | 'retry-scheduled' | 'failed' | 'not-confirmed';

export interface Attempt {
  /** 1 for the first try; keeps growing across an operator's retries, so failure ids stay unique. */
  number: number;
  /** Where the current round of retries started: its budget is backoff.maxAttempts. */
  roundStart: number;
  /** The consent.log record that caused the work, kept for retries. */
  record: Buffer;
}

/**
 * Carries out one piece of work in one system and says so on the log: a completion with what was
 * done and a hash of that evidence, or a failure with a reason that holds no personal data. A
 * retryable failure is scheduled for later instead of blocking the consumer; a final one is parked
 * for an operator's retry. Event ids are fixed by (work, system, attempt), so a step run again
 * after a crash appends the same fact.
 */
export class StepRunner {
  private readonly logger: Logger;

  constructor(private readonly deps: StepRunnerDeps) {
    this.logger = new Logger(`erasure:${deps.system}`);
  }

  async run(cause: ConsentEvent, work: Work, attempt: Attempt): Promise<StepResult> {
    const now = this.deps.now?.() ?? Date.now();
    const { connector, steps } = this.deps;
    if (connector.confirmationTimeoutMs !== undefined) {
      // Before the request leaves: the processor's callback must find the step however fast it
      // comes, and a processor that never confirms is caught when the step falls due.
      await steps.awaitConfirmation(work.workId, attempt.number, attempt.roundStart, new Date(now + connector.confirmationTimeoutMs), attempt.record);
    }
    try {
      const outcome = await connector.erase(await this.target(cause, work));
      // The processor confirms through the signed callback, which appends the acknowledgement.
      if (outcome.awaitingConfirmation) return 'awaiting-confirmation';
      await this.deps.append([this.completed(cause, work, outcome, now)]);
      await steps.clear(work.workId);
      return 'completed';
    } catch (error) {
      const retryable = !(error instanceof ConnectorError) || error.retryable;
      const reason = error instanceof ConnectorError ? error.message : 'unexpected error in the connector';
      const final = !retryable || attempt.number - attempt.roundStart + 1 >= this.deps.backoff.maxAttempts;
      if (!(error instanceof ConnectorError)) this.logger.error(`step failed unexpectedly: ${(error as Error).name}`);
      // The fact first: should the schedule not be written, the record (or the claimed retry,
      // once its lease ends) runs again and appends the same fact, never a step stuck unreported.
      await this.deps.append([this.failed(cause, work, { retryable: !final, attempt: attempt.number, reason }, now)]);
      if (final) await steps.park(work.workId, attempt.number, attempt.roundStart, attempt.record);
      else {
        const dueAt = new Date(now + retryDelayMs(attempt.number - attempt.roundStart + 1, this.deps.backoff));
        await steps.schedule(work.workId, attempt.number + 1, attempt.roundStart, dueAt, attempt.record);
      }
      return final ? 'failed' : 'retry-scheduled';
    }
  }

  /**
   * The processor accepted the request but sent no final callback in time: the step fails for
   * good and is parked, so an operator's retry sends the request again. A callback that still
   * arrives later completes the step all the same.
   */
  async notConfirmed(cause: ConsentEvent, work: Work, attempt: Attempt): Promise<StepResult> {
    const now = this.deps.now?.() ?? Date.now();
    const within = Math.round((this.deps.connector.confirmationTimeoutMs ?? 0) / 1000);
    const reason = `http connector "${this.deps.system}": the processor accepted the request but did not confirm it within ${within} s`;
    await this.deps.append([this.failed(cause, work, { retryable: false, attempt: attempt.number, reason }, now, `unconfirmed-${attempt.number}`)]);
    await this.deps.steps.park(work.workId, attempt.number, attempt.roundStart, attempt.record);
    return 'not-confirmed';
  }

  private async target(cause: ConsentEvent, work: Work): Promise<ErasureTarget> {
    const { identities, identitiesShredded } = await this.identities(cause);
    if (work.kind === 'opt-out') {
      return {
        workId: work.workId,
        subjectId: cause.subject_id,
        identities,
        identitiesShredded,
        scope: 'PURPOSES',
        purposes: cause.purposes,
        keepTransactionHistory: work.action !== 'delete',
        reaction: { action: work.action, cause: work.cause },
        jurisdiction: cause.jurisdiction,
        requestedAt: cause.recorded_at,
      };
    }
    const payload = cause.payload as Extract<ConsentEventPayload, { type: 'ErasureRequested' }>;
    return {
      workId: work.workId,
      subjectId: cause.subject_id,
      identities,
      identitiesShredded,
      scope: payload.scope,
      purposes: cause.purposes,
      keepTransactionHistory: payload.keep_transaction_history,
      jurisdiction: cause.jurisdiction,
      requestedAt: cause.recorded_at,
    };
  }

  /**
   * The cause's identifiers; none once the subject's key was shredded, which a system that needs
   * them reports as `identity_shredded` (a system added later, catching up on an old request).
   */
  private async identities(cause: ConsentEvent): Promise<Pick<ErasureTarget, 'identities' | 'identitiesShredded'>> {
    if (!cause.identities) return { identities: [], identitiesShredded: false };
    const key = await this.deps.keyStore.keyById(cause.identities.key_id);
    if (!key) return { identities: [], identitiesShredded: true };
    return { identities: decryptIdentities(cause.identities, cause.subject_id, key), identitiesShredded: false };
  }

  private completed(cause: ConsentEvent, work: Work, outcome: ErasureOutcome, now: number): ConsentEvent {
    const system = this.deps.system;
    const evidence = { system, workId: work.workId, action: outcome.action, counts: outcome.counts, strategies: outcome.strategies, legalHold: outcome.legalHold };
    const hash = evidenceHash(evidence);
    if (work.kind === 'opt-out') {
      return this.envelope(cause, work, optOutStepCompletedId(work.workId, system), now, { type: 'OptOutStepCompleted', system, action: outcome.action, counts: outcome.counts, evidence_hash: hash });
    }
    return this.envelope(cause, work, erasureStepCompletedId(work.workId, system), now, {
      type: 'ErasureStepCompleted',
      request_id: work.requestId,
      system,
      action: outcome.action,
      counts: outcome.counts,
      evidence_hash: hash,
      legal_hold: outcome.legalHold,
      strategies: outcome.strategies,
    });
  }

  /** `failureKey` tells failures apart in their ids: the attempt, or what else failed. */
  private failed(cause: ConsentEvent, work: Work, failure: { retryable: boolean; attempt: number; reason: string }, now: number, failureKey = String(failure.attempt)): ConsentEvent {
    const system = this.deps.system;
    if (work.kind === 'opt-out') {
      return this.envelope(cause, work, optOutStepFailedId(work.workId, system, failureKey), now, { type: 'OptOutStepFailed', system, ...failure });
    }
    const id = erasureStepFailedId(work.workId, system, failureKey);
    return this.envelope(cause, work, id, now, { type: 'ErasureStepFailed', request_id: work.requestId, system, ...failure });
  }

  private envelope(cause: ConsentEvent, work: Work, eventId: string, now: number, payload: ConsentEventPayload): ConsentEvent {
    return {
      event_id: eventId,
      subject_id: cause.subject_id,
      occurred_at: now,
      recorded_at: now,
      source: 'SYSTEM',
      actor: `lethe-erasure-worker:${this.deps.system}`,
      jurisdiction: cause.jurisdiction,
      policy_version: null,
      purposes: cause.purposes,
      correlation_id: work.kind === 'erasure' ? work.requestId : cause.correlation_id,
      causation_id: work.reapplyEventId ?? cause.event_id,
      identities: null,
      payload,
    };
  }
}
