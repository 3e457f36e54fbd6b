import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { log } from './common';

const root = resolve(__dirname, '..');

/** One of Lethe's apps (or any TypeScript entry) as a process of its own, from the repository root; its exit is logged unless it was stopped. */
export function startApp(name: string, entry: string, env: Record<string, string>, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', entry, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  child.once('exit', (code, signal) => !child.killed && log(`${name} exited (${code ?? signal})`));
  return child;
}

/** Stops a child with `signal` and waits for its exit (SIGKILL after `timeoutMs`), so a CPU profile gets written and nothing still talks to the broker when the stack stops. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `check` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
