import { ERASURE_SCOPE_SYMBOLS, OPT_OUT_KIND_SYMBOLS } from '@lethe/contracts';
import type { ConsentCommand, CommandMetadata, RequestErasure } from './commands';
import { DomainError } from './errors';

/**
 * Shape checks of commands, before any look at state. Commands arrive from HTTP and Kafka, so
 * the checks run on the values, not only the types. Errors name the field, never its value.
 */
export const PURPOSE_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

/** The first problem with a command, or null when it is well formed. */
export function commandProblem(command: ConsentCommand, metadata: CommandMetadata): DomainError | null {
  if (!isNonEmptyString(metadata.eventId)) return invalid('eventId', 'event_id_missing', 'eventId is required');
  switch (command.type) {
    case 'GrantConsent':
      return (
        purposesProblem(command.purposes, { allowEmpty: false }) ??
        (isNonEmptyString(command.policyVersion)
          ? null
          : invalid('policyVersion', 'policy_version_missing', 'policyVersion is required to grant consent'))
      );
    case 'WithdrawConsent':
      return purposesProblem(command.purposes, { allowEmpty: false });
    case 'RaiseObjection':
      return purposesProblem(command.purposes, { allowEmpty: true });
    case 'RecordOptOut':
      return kindsProblem(command.kinds);
    case 'RequestErasure':
      return erasureProblem(command);
    case 'ExtendErasureDeadline':
      if (!isNonEmptyString(command.requestId)) return invalid('requestId', 'request_id_missing', 'requestId is required');
      return isNonEmptyString(command.reason) && command.reason.length <= 500
        ? null
        : invalid('reason', 'reason_invalid', 'reason must be 1-500 characters');
    case 'RetryErasureStep':
      if (!isNonEmptyString(command.requestId)) return invalid('requestId', 'request_id_missing', 'requestId is required');
      return isNonEmptyString(command.system) ? null : invalid('system', 'system_missing', 'system is required');
  }
}

function purposesProblem(purposes: readonly string[], { allowEmpty }: { allowEmpty: boolean }): DomainError | null {
  if (!Array.isArray(purposes)) return invalid('purposes', 'purposes_invalid', 'purposes must be a list');
  if (purposes.length === 0 && !allowEmpty) {
    return invalid('purposes', 'purposes_empty', 'purposes must name at least one purpose');
  }
  const bad = purposes.findIndex((purpose) => typeof purpose !== 'string' || !PURPOSE_NAME.test(purpose));
  return bad === -1
    ? null
    : invalid(`purposes[${bad}]`, 'purpose_invalid', `purposes[${bad}] must match ${PURPOSE_NAME.source}`);
}

function kindsProblem(kinds: readonly string[]): DomainError | null {
  if (!Array.isArray(kinds) || kinds.length === 0) {
    return invalid('kinds', 'kinds_empty', 'kinds must name at least one opt-out kind');
  }
  const bad = kinds.findIndex((kind) => !(OPT_OUT_KIND_SYMBOLS as readonly string[]).includes(kind));
  return bad === -1
    ? null
    : invalid(`kinds[${bad}]`, 'kind_invalid', `kinds[${bad}] must be one of ${OPT_OUT_KIND_SYMBOLS.join(', ')}`);
}

function erasureProblem(command: RequestErasure): DomainError | null {
  if (!isNonEmptyString(command.requestId)) return invalid('requestId', 'request_id_missing', 'requestId is required');
  if (!(ERASURE_SCOPE_SYMBOLS as readonly string[]).includes(command.scope)) {
    return invalid('scope', 'scope_invalid', `scope must be one of ${ERASURE_SCOPE_SYMBOLS.join(', ')}`);
  }
  const purposes = command.purposes ?? [];
  if (command.scope === 'ALL' && purposes.length > 0) {
    return invalid('purposes', 'purposes_unexpected', 'purposes must be empty when scope is ALL');
  }
  if (command.scope === 'PURPOSES') {
    const problem = purposesProblem(purposes, { allowEmpty: false });
    if (problem) return problem;
  }
  if (typeof command.keepTransactionHistory !== 'boolean') {
    const field = 'keepTransactionHistory';
    return invalid(field, 'keep_transaction_history_invalid', `${field} must be true or false`);
  }
  if (!Array.isArray(command.systems)) return invalid('systems', 'systems_invalid', 'systems must be a list');
  // With no system to acknowledge it, a request would be complete, and certified, at once.
  if (command.systems.length === 0) return invalid('systems', 'no_systems', 'systems must name at least one downstream system');
  const bad = command.systems.findIndex((system) => !isNonEmptyString(system));
  return bad === -1 ? null : invalid(`systems[${bad}]`, 'system_invalid', `systems[${bad}] must be a non-empty name`);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function invalid(field: string, reason: string, message: string): DomainError {
  return new DomainError('validation', reason, message, { field });
}
