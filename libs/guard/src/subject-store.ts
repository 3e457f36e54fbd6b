import type { CompiledDecisions, Decision, NoticeCause, OptOutNotice, Restriction } from '@lethe/contracts';
import { DecisionTable, DecisionTables } from './decision-tables';

/** What a lookup found: the decision and the version it came from (null: nothing known). */
export interface Lookup {
  readonly decision: Decision;
  readonly version: number | null;
}

/** A RESTRICTED notice newer than the state held: it restricts until a state of its version or later arrives. */
interface Overlay {
  readonly version: number;
  readonly all: boolean;
  readonly names: readonly string[];
  readonly decision: Restriction;
}

const NONE = -1;
const NO_RECORD: Lookup = { decision: 'no_record', version: null };

const RESTRICTION_OF: Record<NoticeCause, Restriction> = {
  WITHDRAWN: 'withdrawn',
  OBJECTED: 'objected',
  OPTED_OUT: 'opted_out',
  ERASED: 'erased',
  GRANTED: 'withdrawn', // a grant never restricts; named only to keep the table total
};

/** Per subject only what answering needs: four fields, the table shared with like subjects. */
class Subject {
  stateVersion = NONE;
  table: DecisionTable | null = null;
  noticeVersion = NONE;
  overlays: Overlay[] | null = null;
}

/**
 * The guard's memory: each subject's compiled decisions from its latest consent.state record,
 * and the restrictions of notices that arrived before the state of their version. Pure.
 */
export class SubjectStore {
  private readonly subjects = new Map<string, Subject>();
  private readonly tables = new DecisionTables();

  get size(): number {
    return this.subjects.size;
  }

  /** Applies a state if it is newer than the one held; returns whether it was. */
  applyState(subjectId: string, compiled: CompiledDecisions): boolean {
    const subject = this.subjectFor(subjectId);
    if (compiled.version <= subject.stateVersion) return false;
    subject.stateVersion = compiled.version;
    subject.table = this.tables.intern(compiled);
    if (subject.overlays) {
      const pending = subject.overlays.filter((overlay) => overlay.version > compiled.version);
      subject.overlays = pending.length > 0 ? pending : null;
    }
    return true;
  }

  /** A tombstone on consent.state: the subject is forgotten, notices included. */
  remove(subjectId: string): boolean {
    return this.subjects.delete(subjectId);
  }

  /**
   * Applies a notice if its version is newer than the last applied for the subject (a notice
   * published twice is one change); returns whether it was, so listeners hear of it once. A
   * RESTRICTED notice newer than the state takes effect at once; ALLOWED waits for its state.
   */
  applyNotice(notice: OptOutNotice): boolean {
    const subject = this.subjectFor(notice.subject_id);
    if (notice.version <= subject.noticeVersion) return false;
    subject.noticeVersion = notice.version;
    if (notice.change === 'RESTRICTED' && notice.version > subject.stateVersion) {
      const overlay: Overlay = { version: notice.version, all: notice.all, names: [...notice.purposes, ...notice.opt_outs], decision: RESTRICTION_OF[notice.cause] };
      (subject.overlays ??= []).push(overlay);
    }
    return true;
  }

  lookup(subjectId: string, name: string): Lookup {
    const subject = this.subjects.get(subjectId);
    if (!subject) return NO_RECORD;
    const overlays = subject.overlays;
    if (overlays) {
      for (let i = overlays.length - 1; i >= 0; i--) {
        const overlay = overlays[i];
        if (overlay.all || overlay.names.includes(name)) return { decision: overlay.decision, version: overlay.version };
      }
    }
    const table = subject.table;
    if (!table) return NO_RECORD;
    return { decision: table.names.get(name) ?? table.others, version: subject.stateVersion };
  }

  /** How many distinct decision tables the subjects share (for tests and diagnostics). */
  get sharedTables(): number {
    return this.tables.shared;
  }

  private subjectFor(subjectId: string): Subject {
    let subject = this.subjects.get(subjectId);
    if (!subject) {
      subject = new Subject();
      this.subjects.set(subjectId, subject);
    }
    return subject;
  }
}
