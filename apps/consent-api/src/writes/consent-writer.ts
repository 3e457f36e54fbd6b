import { createHmac, randomUUID } from 'node:crypto';
import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BatchedLookup, isDatabaseOutage } from '@lethe/config';
import { ConsentCommand, decide, DomainError, initialState, SubjectState } from '@lethe/consent-domain';
import type { ConsentEvent, Jurisdiction, Source } from '@lethe/contracts';
import { DataKey, encryptIdentities, Identity, KeyStore, ShreddedKeyError } from '@lethe/identity-vault';
import { Action, allows, Principal } from '../auth/api-keys';
import { eventIdFor, IdempotencyStore, StoredResponse } from '../idempotency/idempotency-store';
import { EventLog } from '../platform/event-log';
import { DATABASE, KEY_STORE } from '../platform/tokens';
import { RequestIdClaims } from './request-ids';

export interface WriteRequest {
  principal: Principal;
  action: Action;
  route: string;
  subjectId: string;
  /** Or built from the event id, once known: an erasure without a requestId is named after it. */
  command: ConsentCommand | ((eventId: string) => ConsentCommand);
  body: object;
  source: Source;
  jurisdiction: Jurisdiction;
  occurredAt?: string;
  correlationId?: string;
  idempotencyKey?: string;
  eventId?: string;
  identities?: Identity[];
}

/**
 * The purposes a command acts on, for the key's purpose scopes. An objection without purposes
 * and an erasure of everything reach every purpose, so only a key allowed '*' may send them.
 */
function purposesTouched(request: WriteRequest): string[] {
  // What the command touches does not depend on its ids, so any event id tells.
  const command = commandOf(request, '');
  if (command.type === 'RequestErasure') return command.scope === 'ALL' ? ['*'] : [...(command.purposes ?? [])];
  if (command.type === 'RaiseObjection') return command.purposes.length === 0 ? ['*'] : [...command.purposes];
  return 'purposes' in command ? [...command.purposes] : [];
}

/** Where client event ids are claimed: not a service name (those start with a letter). */
const ANY_SERVICE = '*';

/** State queries out at once: a few, so a write rarely waits for another's query, well under the pool's 10. */
const STATE_QUERIES_AT_ONCE = 4;

function commandOf(request: WriteRequest, eventId: string): ConsentCommand {
  return typeof request.command === 'function' ? request.command(eventId) : request.command;
}

/**
 * Turns an authorised request into events on consent.log: checks the key's purposes, replays a
 * repeated Idempotency-Key, decides against the subject's projected state, encrypts identities,
 * and answers only after the broker acknowledged the write.
 */
@Injectable()
export class ConsentWriter {
  /** Concurrent writes read their subjects' states in one query (a busy API would otherwise queue on the pool). */
  private readonly states: BatchedLookup<SubjectState>;
  private readonly requestIds: RequestIdClaims;

  constructor(
    private readonly log: EventLog,
    private readonly idempotency: IdempotencyStore,
    @Inject(DATABASE) private readonly db: DataSource,
    @Inject(KEY_STORE) private readonly keys: KeyStore,
  ) {
    this.states = new BatchedLookup(async (subjectIds) => {
      const rows: { subject_id: string; state: SubjectState }[] = await this.db.query(`select subject_id, state from subject_state where subject_id = any($1)`, [subjectIds]);
      return new Map(rows.map((row) => [row.subject_id, row.state]));
    }, 1_000, STATE_QUERIES_AT_ONCE);
    this.requestIds = new RequestIdClaims(db);
  }

  async write(request: WriteRequest): Promise<StoredResponse> {
    if (!allows(request.principal, request.action, purposesTouched(request))) {
      throw new ForbiddenException('this API key may not write one of these purposes');
    }
    // A client's event id is its idempotency key, claimed across every service: an event id names
    // one fact on the whole log, so another request (another subject, another service) cannot
    // reuse it. Otherwise the Idempotency-Key is claimed per service, and the event id derived from it.
    const [owner, key] = request.eventId
      ? [ANY_SERVICE, `event:${request.eventId}`]
      : [request.principal.service, request.idempotencyKey];
    if (!key) return this.decideAndAppend(request, randomUUID());

    const dataKey = request.identities?.length ? await this.subjectKey(request.subjectId) : undefined;
    const hash = this.idempotency.fingerprint(request.route, request.subjectId, withIdentitiesDigested(request, dataKey));
    const claimed = await this.idempotency.claim(owner, key, hash);
    if ('statusCode' in claimed) return claimed;
    try {
      const response = await this.decideAndAppend(request, request.eventId ?? eventIdFor(owner, key), dataKey);
      await this.idempotency.complete(owner, key, claimed, response);
      return response;
    } catch (error) {
      // The write's own error is the answer when the database refused the release too (it is
      // retried meanwhile); any other failure to release is a fault of its own.
      await this.idempotency.release(owner, key, claimed).catch((releaseError: unknown) => {
        if (!isDatabaseOutage(releaseError)) throw releaseError;
      });
      throw error;
    }
  }

  private async decideAndAppend(request: WriteRequest, eventId: string, dataKey?: DataKey): Promise<StoredResponse> {
    const command = commandOf(request, eventId);
    if (command.type === 'RequestErasure') await this.requestIds.claim(command.requestId, request.subjectId);
    const state = await this.projectedState(request.subjectId);
    const decision = decide(command, state, {
      eventId,
      subjectId: request.subjectId,
      now: Date.now(),
      occurredAt: request.occurredAt ? Date.parse(request.occurredAt) : null,
      source: request.source,
      actor: request.principal.service,
      jurisdiction: request.jurisdiction,
      correlationId: request.correlationId ?? null,
    });
    if (decision.kind === 'reject') throw decision.error;
    if (decision.kind === 'ignore') {
      return { statusCode: 200, body: { status: 'unchanged', reason: decision.reason, subjectId: request.subjectId } };
    }
    const events = await this.withIdentities(decision.events, request.identities, dataKey);
    await this.log.append(events);
    const [first] = events;
    return {
      statusCode: 202,
      body: {
        status: 'accepted',
        eventId: first.event_id,
        subjectId: first.subject_id,
        type: first.payload.type,
        ...('request_id' in first.payload ? { requestId: first.payload.request_id } : {}),
        recordedAt: new Date(first.recorded_at).toISOString(),
      },
    };
  }

  /** The projector's view of the subject; it may trail the log by a moment. */
  async projectedState(subjectId: string): Promise<SubjectState> {
    return (await this.states.get(subjectId)) ?? initialState(subjectId);
  }

  private async withIdentities(events: ConsentEvent[], identities: Identity[] | undefined, dataKey?: DataKey): Promise<ConsentEvent[]> {
    if (!identities?.length) return events;
    const key = dataKey ?? (await this.subjectKey(events[0].subject_id));
    return events.map((event) => ({ ...event, identities: encryptIdentities(identities, event.subject_id, key) }));
  }

  private subjectKey(subjectId: string): Promise<DataKey> {
    return this.keys.keyFor(subjectId).catch((error: unknown) => {
      if (error instanceof ShreddedKeyError) {
        throw new DomainError('illegal_state', 'subject_key_shredded', 'identifiers can no longer be stored for this subject');
      }
      throw error;
    });
  }
}

/**
 * The body as its stored idempotency fingerprint covers it: identities only as an HMAC under the
 * subject's data key. A fingerprint keyed by the master key alone would let whoever holds it
 * confirm a guessed e-mail address against the stored row for ever; this one cannot be recomputed
 * once the subject's key is shredded.
 */
function withIdentitiesDigested(request: WriteRequest, dataKey: DataKey | undefined): object {
  if (!dataKey || !request.identities?.length) return request.body;
  return { ...request.body, identities: createHmac('sha256', dataKey.key).update(JSON.stringify(request.identities)).digest('hex') };
}
