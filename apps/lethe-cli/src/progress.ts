import type { Output } from './cli';

/** How often the progress line is rewritten. */
const EVERY_MS = 1_000;

/**
 * Progress of long work on stderr: done of total, rate and ETA, about once a second. On a
 * terminal it rewrites one line; otherwise (a pipe, a log file) it prints a line each time.
 * Quiet for --json, whose callers read stdout only and want stderr for errors.
 */
export class Progress {
  private done = 0;
  private readonly started: number;
  private lastShown: number;

  constructor(
    private readonly io: Output,
    private readonly label: string,
    private readonly total: number,
    private readonly quiet: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.lastShown = this.started;
  }

  advance(count: number): void {
    this.done += count;
    const now = this.now();
    if (now - this.lastShown < EVERY_MS) return;
    this.lastShown = now;
    this.show(this.line(now));
  }

  /** The last line, then a new line on a terminal so what follows starts clean. */
  finish(): void {
    if (this.quiet) return;
    this.show(this.line(this.now()));
    if (this.io.status) this.io.status('\n');
  }

  line(now: number): string {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = this.done / seconds;
    const share = this.total > 0 ? ` (${((100 * this.done) / this.total).toFixed(1)}%)` : '';
    const left = this.total - this.done;
    const eta = left <= 0 ? 'done' : rate > 0 ? `ETA ${formatSeconds(left / rate)}` : 'ETA unknown';
    return `${this.label}: ${count(this.done)} of ${count(this.total)}${share}, ${count(Math.round(rate))}/s, ${eta}`;
  }

  private show(line: string): void {
    if (this.quiet) return;
    if (this.io.status) this.io.status(`\r${line}\u001b[K`);
    else this.io.err(line);
  }
}

const count = (n: number) => n.toLocaleString('en-US');

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${Math.ceil(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
