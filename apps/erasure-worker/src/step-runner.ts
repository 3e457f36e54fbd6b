import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { canonicalJson } from '@lethe/consent-domain';
import { ConsentEvent, ConsentEventPayloadOf, deterministicUuid } from '@lethe/contracts';
import { decryptIdentities, Identity, KeyStore } from '@lethe/identity-vault';
import { BackoffPolicy, Connector, ConnectorError, ErasureOutcome, ErasureTarget, retryDelayMs } from '@lethe/connectors';
import { RetryStore } from './retry-store';

export interface StepRunnerDeps {
  system: string;
  connector: Connector;
  keyStore: KeyStore;
  retries: RetryStore;
  backoff: BackoffPolicy;
  /** Appends to consent.log and resolves once the broker has it. */
  append: (events: ConsentEvent[]) => Promise<void>;
  now?: () => number;
}

export type StepResult = 'completed' | 'retry-scheduled' | 'failed';

/**
 * Carries out one erasure request in one system, and says so on the log: ErasureStepCompleted
 * with what was done and a hash of that evidence, or ErasureStepFailed with a reason that holds
 * no personal data. A retryable failure is scheduled for later instead of blocking the consumer.
 * Event ids are fixed by (request, system, attempt), so a step run again appends the same fact.
 */
export class StepRunner {
  private readonly logger: Logger;

  constructor(private readonly deps: StepRunnerDeps) {
    this.logger = new Logger(`erasure:${deps.system}`);
  }

  async run(request: ConsentEvent, attempt: number, record: Buffer): Promise<StepResult> {
    const payload = request.payload as ConsentEventPayloadOf<'ErasureRequested'>;
    const now = this.deps.now?.() ?? Date.now();
    try {
      const outcome = await this.deps.connector.erase(await this.target(request, payload));
      await this.deps.append([this.completed(request, payload, outcome, now)]);
      await this.deps.retries.clear(payload.request_id);
      return 'completed';
    } catch (error) {
      const retryable = !(error instanceof ConnectorError) || error.retryable;
      const reason = error instanceof ConnectorError ? error.message : 'unexpected error in the connector';
      const final = !retryable || attempt >= this.deps.backoff.maxAttempts;
      if (!(error instanceof ConnectorError)) this.logger.error(`request step failed unexpectedly: ${(error as Error).name}`);
      if (final) await this.deps.retries.clear(payload.request_id);
      else await this.deps.retries.schedule(payload.request_id, attempt + 1, new Date(now + retryDelayMs(attempt, this.deps.backoff)), record);
      await this.deps.append([this.failed(request, payload, { retryable: !final, attempt, reason }, now)]);
      return final ? 'failed' : 'retry-scheduled';
    }
  }

  private async target(request: ConsentEvent, payload: ConsentEventPayloadOf<'ErasureRequested'>): Promise<ErasureTarget> {
    return {
      requestId: payload.request_id,
      subjectId: request.subject_id,
      identities: await this.identities(request),
      scope: payload.scope,
      purposes: request.purposes,
      keepTransactionHistory: payload.keep_transaction_history,
    };
  }

  /** The request's identifiers; none once the subject's key was shredded. */
  private async identities(request: ConsentEvent): Promise<Identity[]> {
    if (!request.identities) return [];
    const key = await this.deps.keyStore.keyById(request.identities.key_id);
    return key ? decryptIdentities(request.identities, request.subject_id, key) : [];
  }

  private completed(request: ConsentEvent, payload: ConsentEventPayloadOf<'ErasureRequested'>, outcome: ErasureOutcome, now: number): ConsentEvent {
    const evidence = { system: this.deps.system, requestId: payload.request_id, action: outcome.action, counts: outcome.counts, strategies: outcome.strategies, legalHold: outcome.legalHold };
    return this.envelope(request, deterministicUuid('erasure-step-completed', payload.request_id, this.deps.system), now, {
      type: 'ErasureStepCompleted',
      request_id: payload.request_id,
      system: this.deps.system,
      action: outcome.action,
      counts: outcome.counts,
      evidence_hash: createHash('sha256').update(canonicalJson(evidence)).digest('hex'),
      legal_hold: outcome.legalHold,
    });
  }

  private failed(request: ConsentEvent, payload: ConsentEventPayloadOf<'ErasureRequested'>, failure: { retryable: boolean; attempt: number; reason: string }, now: number): ConsentEvent {
    return this.envelope(request, deterministicUuid('erasure-step-failed', payload.request_id, this.deps.system, String(failure.attempt)), now, {
      type: 'ErasureStepFailed',
      request_id: payload.request_id,
      system: this.deps.system,
      ...failure,
    });
  }

  private envelope(request: ConsentEvent, eventId: string, now: number, payload: ConsentEvent['payload']): ConsentEvent {
    return {
      event_id: eventId,
      subject_id: request.subject_id,
      occurred_at: now,
      recorded_at: now,
      source: 'SYSTEM',
      actor: `lethe-erasure-worker:${this.deps.system}`,
      jurisdiction: request.jurisdiction,
      policy_version: null,
      purposes: request.purposes,
      correlation_id: (request.payload as ConsentEventPayloadOf<'ErasureRequested'>).request_id,
      causation_id: request.event_id,
      identities: null,
      payload,
    };
  }
}
