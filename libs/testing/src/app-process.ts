import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { waitFor } from './wait-for';

/** The repository root, where apps are started from. */
const ROOT = resolve(__dirname, '../../..');

/** An app (or CLI) of this repository started as users start it, its stdout and stderr kept. */
export class AppProcess {
  /** Everything it printed so far, both streams in order of arrival. */
  output = '';
  readonly child: ChildProcess;
  private readonly closed: Promise<number | null>;

  /** `entry` is relative to the repository root, e.g. apps/projector/src/main.ts. */
  constructor(entry: string, env: Record<string, string | undefined>, args: string[] = []) {
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', resolve(ROOT, entry), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk) => (this.output += chunk));
    this.child.stderr?.on('data', (chunk) => (this.output += chunk));
    this.closed = new Promise((done) => this.child.once('close', (code) => done(code)));
  }

  /** Resolves with the exit code once it ended and all it printed is in `output`. */
  exited(): Promise<number | null> {
    return this.closed;
  }

  /** Until `url` answers 200 (2 min at most); fails at once, with what it printed, if it exits first. */
  async answers(url: string, what: string): Promise<void> {
    await waitFor(
      async () => {
        if (this.child.exitCode !== null) throw new Error(`${what} exited: ${this.output.slice(-2_000)}`);
        return (await fetch(url).catch(() => null))?.status === 200;
      },
      { description: `${what} to answer ${url}`, timeoutMs: 120_000, intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.output.slice(-2_000)}`);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited();
  }
}
