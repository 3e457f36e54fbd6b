import { Connector, ConnectorError, ErasureOutcome, ErasureTarget, noIdentityForMatch } from '../connector';
import { HttpConnectorConfig, validateHttpConfig } from './http-config';
import { statusError, transportError } from './http-errors';
import { REQUEST_STATUSES, RequestStatus, requestBody, selectIdentities } from './opendsr';
import { SIGNATURE_HEADERS, signPayload } from './signature';

/** Largest answer read from a processor; a status document is a few hundred bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * A third-party processor that erases on its side. Lethe POSTs one signed OpenDSR request
 * (opendsr.ts, signature.ts) and reads the answer:
 *
 * - 2xx with `request_status: completed`: done now; the worker appends the acknowledgement.
 * - 202, or 2xx with `pending` / `in_progress` (or no status): accepted; the processor confirms
 *   later through the signed callback, which appends the acknowledgement (`awaitingConfirmation`);
 *   without it within `confirmationTimeoutSeconds`, the worker reports the step failed.
 * - 409: the processor already holds this `subject_request_id`; treated as accepted earlier.
 * - 5xx, 408, 425, 429, a timeout, a refused connection: retryable; the worker backs off.
 * - any other answer, or `cancelled` / `failed`: not retryable; the step fails for good.
 *
 * Idempotent by the protocol: a retry or redelivery sends the same `subject_request_id` (Lethe's
 * request id, also sent as `Idempotency-Key`), which OpenDSR processors deduplicate. Nothing is
 * recorded locally, so `alreadyDone` is only known when the processor says 409.
 */
export class HttpConnector implements Connector {
  readonly system: string;
  readonly confirmationTimeoutMs: number;
  private readonly config: HttpConnectorConfig;

  /** Validates `config` (throws HttpConfigError naming each bad key); opens nothing. */
  constructor(
    config: unknown,
    private readonly now: () => number = Date.now,
  ) {
    this.config = validateHttpConfig(config);
    this.system = this.config.system;
    this.confirmationTimeoutMs = this.config.confirmationTimeoutSeconds * 1000;
  }

  /**
   * A HEAD request to the endpoint: any HTTP answer below 500 (405 included, since the endpoint
   * only takes POST) proves it is reachable. Nothing is sent that a processor would act on.
   */
  async testConnection(): Promise<void> {
    const response = await this.fetch('test connection', { method: 'HEAD' });
    if (response.status >= 500) throw statusError(this.system, 'test connection', response.status);
  }

  async erase(target: ErasureTarget): Promise<ErasureOutcome> {
    const identities = this.identitiesFor(target, 'erase');
    const body = JSON.stringify(requestBody(target, identities, this.config.callbackUrl, this.now()));
    const timestamp = Math.floor(this.now() / 1000);
    const response = await this.fetch('erase', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'idempotency-key': target.workId,
        [SIGNATURE_HEADERS.timestamp]: String(timestamp),
        [SIGNATURE_HEADERS.signature]: signPayload(this.config.secret, timestamp, body),
      },
    });
    const counts = { requests: 1, identities: identities.length };
    if (response.status === 409) return this.outcome(counts, { awaitingConfirmation: true, alreadyDone: true });
    if (response.status < 200 || response.status >= 300) throw statusError(this.system, 'erase', response.status);

    const answer = await this.answerOf(response);
    if (answer.status === 'completed') {
      return this.outcome(answer.resultsCount === undefined ? counts : { ...counts, records: answer.resultsCount });
    }
    if (answer.status === 'cancelled' || answer.status === 'failed') {
      throw new ConnectorError(`http connector "${this.system}": erase failed: the processor reports the request ${answer.status}`, false);
    }
    return this.outcome(counts, { awaitingConfirmation: true });
  }

  /** What `erase` would send, counted; nothing leaves the process. */
  async dryRun(target: ErasureTarget): Promise<ErasureOutcome> {
    const identities = this.identitiesFor(target, 'dry run');
    return this.outcome({ requests: 1, identities: identities.length });
  }

  async close(): Promise<void> {
    // fetch pools its sockets process-wide; there is nothing of ours to release.
  }

  private identitiesFor(target: ErasureTarget, doing: string) {
    const identities = selectIdentities(target.identities, this.config.identities);
    if (identities.length === 0) {
      // A processor cannot find anyone without an identifier, and none will appear on a retry.
      throw noIdentityForMatch('http', this.system, doing, this.config.identities ?? [], target);
    }
    return identities;
  }

  private outcome(counts: Record<string, number>, extra: Partial<ErasureOutcome> = {}): ErasureOutcome {
    return { action: 'forwarded', counts, strategies: {}, legalHold: null, alreadyDone: false, ...extra };
  }

  private async fetch(doing: string, init: RequestInit): Promise<Response> {
    try {
      // Redirects are not followed: the signed body holds identities, and a redirect could send
      // it to a host nobody configured. A 3xx then fails as a non-retryable answer.
      return await fetch(this.config.url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (error) {
      throw transportError(this.system, doing, error, this.config.timeoutMs);
    }
  }

  /** The processor's status and result count; an answer that is not such JSON has neither. */
  private async answerOf(response: Response): Promise<{ status?: RequestStatus; resultsCount?: number }> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw transportError(this.system, 'erase', error, this.config.timeoutMs);
    }
    if (text.length > MAX_ANSWER_BYTES) return {};
    try {
      const parsed = JSON.parse(text) as { request_status?: unknown; results_count?: unknown };
      const status = (REQUEST_STATUSES as readonly unknown[]).includes(parsed?.request_status) ? (parsed.request_status as RequestStatus) : undefined;
      const count = parsed?.results_count;
      return { status, resultsCount: Number.isInteger(count) && (count as number) >= 0 ? (count as number) : undefined };
    } catch {
      return {};
    }
  }
}
