import type { ConsentEvent, ConsentEventPayload } from '@lethe/contracts';
import type {
  CommandMetadata,
  ConsentCommand,
  Decision,
  GrantConsent,
  RaiseObjection,
  RecordOptOut,
  ExtendErasureDeadline,
  RequestErasure,
  RetryErasureStep,
  WithdrawConsent,
} from './commands';
import { DomainError } from './errors';
import { hasActiveObjection, openErasureRequests } from './queries';
import { entryOf, type SubjectState } from './state';
import { commandProblem } from './validation';

/**
 * Decides what a command means for a subject, given the state folded from its log. Pure: time,
 * ids and the caller arrive in `metadata`. Withdrawals, objections and opt-outs are always
 * accepted, even during an erasure, because stopping processing can never harm the subject;
 * granting and erasing are where the refusals are.
 */
export function decide(command: ConsentCommand, state: SubjectState, metadata: CommandMetadata): Decision {
  if (metadata.subjectId !== state.subjectId) {
    return reject(new DomainError('validation', 'subject_mismatch', 'metadata and state are of different subjects'));
  }
  const problem = commandProblem(command, metadata);
  if (problem) return reject(problem);

  switch (command.type) {
    case 'GrantConsent':
      return grantConsent(command, state, metadata);
    case 'WithdrawConsent':
      return withdrawConsent(command, metadata);
    case 'RaiseObjection':
      return raiseObjection(command, metadata);
    case 'RecordOptOut':
      return recordOptOut(command, metadata);
    case 'RequestErasure':
      return requestErasure(command, state, metadata);
    case 'ExtendErasureDeadline':
      return extendDeadline(command, state, metadata);
    case 'RetryErasureStep':
      return retryStep(command, state, metadata);
  }
}

function grantConsent(command: GrantConsent, state: SubjectState, metadata: CommandMetadata): Decision {
  const objected = command.purposes.findIndex((purpose) => hasActiveObjection(state, purpose));
  if (objected !== -1) {
    return reject(
      new DomainError('illegal_state', 'objection_active', `the subject objected to purposes[${objected}]`, {
        field: `purposes[${objected}]`,
      }),
    );
  }
  // The subject asked to be erased; new consent now would feed systems that are deleting them.
  if (openErasureRequests(state).length > 0) {
    return reject(new DomainError('illegal_state', 'erasure_in_progress', 'an erasure request is open'));
  }
  const about = { purposes: command.purposes, policyVersion: command.policyVersion };
  return append(envelope(metadata, { type: 'ConsentGranted' }, about));
}

function withdrawConsent(command: WithdrawConsent, metadata: CommandMetadata): Decision {
  return append(envelope(metadata, { type: 'ConsentWithdrawn' }, { purposes: command.purposes }));
}

function raiseObjection(command: RaiseObjection, metadata: CommandMetadata): Decision {
  const payload: ConsentEventPayload = { type: 'ObjectionRaised', reason: command.reason ?? null };
  return append(envelope(metadata, payload, { purposes: command.purposes }));
}

function recordOptOut(command: RecordOptOut, metadata: CommandMetadata): Decision {
  return append(envelope(metadata, { type: 'OptOutRecorded', kinds: [...command.kinds] }, {}));
}

function requestErasure(command: RequestErasure, state: SubjectState, metadata: CommandMetadata): Decision {
  // A retried request (same id) is a success that changes nothing: it must not erase twice.
  if (entryOf(state.erasureRequests, command.requestId)?.requested) return ignore('already_requested');
  // One erasure at a time per subject: the open one already reaches every system.
  const others = openErasureRequests(state).filter((request) => request.requestId !== command.requestId);
  if (others.length > 0) return ignore('erasure_already_open');

  const payload: ConsentEventPayload = {
    type: 'ErasureRequested',
    request_id: command.requestId,
    scope: command.scope,
    keep_transaction_history: command.keepTransactionHistory,
    systems: [...command.systems],
    all_systems: command.allSystems,
  };
  return append(envelope(metadata, payload, { purposes: command.purposes ?? [] }));
}

function extendDeadline(command: ExtendErasureDeadline, state: SubjectState, metadata: CommandMetadata): Decision {
  const request = entryOf(state.erasureRequests, command.requestId);
  if (!request?.requested) return reject(new DomainError('not_found', 'request_not_found', 'no erasure request has this id'));
  if (request.status === 'completed') return reject(new DomainError('illegal_state', 'request_completed', 'the request is already complete'));
  if (request.extension) return reject(new DomainError('illegal_state', 'already_extended', 'the deadline was already extended once'));
  if (request.extendableTo === null) {
    return reject(new DomainError('illegal_state', 'extension_not_allowed', 'the jurisdiction of this request allows no extension'));
  }
  const payload: ConsentEventPayload = { type: 'ErasureDeadlineExtended', request_id: command.requestId, reason: command.reason };
  return append(envelope({ ...metadata, jurisdiction: request.jurisdiction ?? metadata.jurisdiction, correlationId: command.requestId }, payload, { purposes: request.purposes }));
}

function retryStep(command: RetryErasureStep, state: SubjectState, metadata: CommandMetadata): Decision {
  const request = entryOf(state.erasureRequests, command.requestId);
  if (!request?.requested) return reject(new DomainError('not_found', 'request_not_found', 'no erasure request has this id'));
  const step = entryOf(request.systems, command.system);
  if (!step) return reject(new DomainError('not_found', 'system_not_in_request', 'the request does not fan out to this system', { field: 'system' }));
  if (step.status !== 'failed') {
    return reject(new DomainError('illegal_state', `step_${step.status}`, `only a failed step can be retried; this one is ${step.status}`));
  }
  const payload: ConsentEventPayload = { type: 'ErasureStepRetryRequested', request_id: command.requestId, system: command.system };
  return append(envelope({ ...metadata, jurisdiction: request.jurisdiction ?? metadata.jurisdiction, correlationId: command.requestId }, payload, { purposes: request.purposes }));
}

/** A full consent.log envelope; identities are attached later, by the service that holds keys. */
function envelope(
  metadata: CommandMetadata,
  payload: ConsentEventPayload,
  about: { purposes?: readonly string[]; policyVersion?: string },
): ConsentEvent {
  return {
    event_id: metadata.eventId,
    subject_id: metadata.subjectId,
    occurred_at: metadata.occurredAt ?? metadata.now,
    recorded_at: metadata.now,
    source: metadata.source,
    actor: metadata.actor,
    jurisdiction: metadata.jurisdiction,
    policy_version: about.policyVersion ?? null,
    purposes: [...(about.purposes ?? [])],
    correlation_id: metadata.correlationId ?? null,
    causation_id: metadata.causationId ?? null,
    identities: null,
    payload,
  };
}

const append = (...events: ConsentEvent[]): Decision => ({ kind: 'append', events });
const ignore = (reason: string): Decision => ({ kind: 'ignore', reason });
const reject = (error: DomainError): Decision => ({ kind: 'reject', error });
