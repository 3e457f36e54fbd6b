import type { StepResult } from './step-runner';

/**
 * Counts what one system's steps came to, so the worker reports progress as one line every few
 * seconds instead of one line per step: a system that joins late and catches up on a million
 * historic requests would otherwise write a million lines.
 */
/** A step's result, or a withdrawal skipped because a later fact about the purpose replaced it. */
export type Noted = StepResult | 'superseded';

export class Progress {
  private readonly counts = new Map<Noted, number>();
  private sinceReport = 0;
  private total = 0;
  private lastReport: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastReport = now();
  }

  add(result: Noted): void {
    this.counts.set(result, (this.counts.get(result) ?? 0) + 1);
    this.sinceReport += 1;
    this.total += 1;
  }

  /** What happened since the last report, or null when nothing did. */
  report(): string | null {
    const now = this.now();
    const seconds = Math.max(1, Math.round((now - this.lastReport) / 1000));
    this.lastReport = now;
    if (this.sinceReport === 0) return null;
    const parts = [...this.counts].map(([result, count]) => `${result} ${count}`).join(', ');
    const line = `${this.sinceReport} step(s) in the last ${seconds} s (${parts}); ${this.total} since start`;
    this.counts.clear();
    this.sinceReport = 0;
    return line;
  }
}
