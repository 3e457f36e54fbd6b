import type { SubjectState } from '@lethe/consent-domain';
import {
  compileDecisions,
  type CompiledDecisions,
  type ConsentEvent,
  type ConsentState,
  type ConsentEventPayloadType,
  type Decision,
  isOptOutKind,
  isRestriction,
  type NoticeCause,
  type NoticeOptOut,
  type OptOutNotice,
} from '@lethe/contracts';
import { toConsentState } from './state-view';

/** The facts that can change what a subject may be processed for, and the cause each gives. */
const CAUSES: Partial<Record<ConsentEventPayloadType, NoticeCause>> = {
  ConsentWithdrawn: 'WITHDRAWN',
  ObjectionRaised: 'OBJECTED',
  OptOutRecorded: 'OPTED_OUT',
  ErasureRequested: 'ERASED',
  ConsentGranted: 'GRANTED',
};

export interface LogPosition {
  partition: number;
  offset: string;
}

/**
 * The public views of the states a fold went through (before the first event of a slice, then
 * after each), each built once per state object and compiled into decisions when a notice needs
 * them: the notices and the consent.state publication of the same state share one view.
 */
export class PublicViews {
  private readonly views = new Map<SubjectState, { view: ConsentState; decisions?: CompiledDecisions }>();

  /** The view as consent.state carries it, stamped `updatedAt`. */
  at(state: SubjectState, updatedAt: number): ConsentState {
    return { ...this.entry(state).view, updated_at: updatedAt };
  }

  /** A state the fold moved past: its view is not needed again, and a slice's worth of them would stay in memory until it commits. */
  forget(state: SubjectState): void {
    this.views.delete(state);
  }

  decisions(state: SubjectState): CompiledDecisions {
    const entry = this.entry(state);
    entry.decisions ??= compileDecisions(entry.view);
    return entry.decisions;
  }

  private entry(state: SubjectState) {
    let entry = this.views.get(state);
    if (!entry) {
      entry = { view: toConsentState(state, 0) };
      this.views.set(state, entry);
    }
    return entry;
  }
}

/**
 * The notice for consent.opt-outs that applying `event` to `before` (giving `after`) calls for,
 * or null when what the subject may be processed for did not change: a repeated withdrawal, a
 * grant of what was granted, a duplicate, an acknowledgement. A restricting fact names what it
 * newly restricts (everything, for an erasure of everything or an objection to all processing);
 * a grant names what it makes allowed again. Decisions come from the public view, by the same
 * rule every guard applies (decisionFor), so a notice never says what a guard would not.
 */
export function noticeFor(before: SubjectState, after: SubjectState, event: ConsentEvent, position: LogPosition, views: PublicViews): OptOutNotice | null {
  const cause = CAUSES[event.payload.type];
  if (!cause || before === after) return null;
  const was = views.decisions(before);
  const now = views.decisions(after);
  const changed = cause === 'GRANTED' ? becameGranted : becameRestricted;
  const all = cause !== 'GRANTED' && changed(was.others, now.others);
  const names = all ? [] : [...new Set([...was.names.keys(), ...now.names.keys()])].filter((name) => changed(was.names.get(name) ?? was.others, now.names.get(name) ?? now.others));
  if (!all && names.length === 0) return null;
  return {
    subject_id: event.subject_id,
    version: after.version,
    change: cause === 'GRANTED' ? 'ALLOWED' : 'RESTRICTED',
    cause,
    all,
    purposes: names.filter((name) => !isOptOutKind(name)).sort(),
    opt_outs: names.filter((name): name is NoticeOptOut => isOptOutKind(name)).sort(),
    jurisdiction: event.jurisdiction,
    effective_at: event.occurred_at,
    recorded_at: event.recorded_at,
    cause_event_id: event.event_id,
    log_partition: position.partition,
    log_offset: Number(position.offset),
  };
}

function becameRestricted(before: Decision, after: Decision): boolean {
  return isRestriction(after) && !isRestriction(before);
}

function becameGranted(before: Decision, after: Decision): boolean {
  return after === 'granted' && before !== 'granted';
}
