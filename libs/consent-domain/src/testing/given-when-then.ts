import type { ConsentEvent } from '@lethe/contracts';
import type { CommandMetadata, ConsentCommand, Decision } from '../commands';
import { decide } from '../decide';
import type { DomainErrorCode } from '../errors';
import { fold } from '../replay';
import { aMetadata, SUBJECT } from './events';

/**
 * Decider specs as a script: given(the subject's log).when(a command).then(the events it appends),
 * or .thenIgnored(reason) / .thenRejected(code, reason).
 */
export function given(events: ConsentEvent[]) {
  return {
    when(command: ConsentCommand, metadata: CommandMetadata = aMetadata()) {
      const decision = decide(command, fold(events, SUBJECT), metadata);
      return {
        decision,
        then(expected: ConsentEvent[]): void {
          expect(decision).toEqual({ kind: 'append', events: expected });
        },
        thenIgnored(reason: string): void {
          expect(decision).toEqual({ kind: 'ignore', reason });
        },
        thenRejected(code: DomainErrorCode, reason: string): void {
          expect(decision.kind).toBe('reject');
          const { error } = decision as Extract<Decision, { kind: 'reject' }>;
          expect({ code: error.code, reason: error.reason }).toEqual({ code, reason });
        },
      };
    },
  };
}
