import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface LetheRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `lethe …` as operators run it: the bin, as a process, with the suite's environment. */
export function runLethe(env: Record<string, string | undefined>, ...args: string[]): Promise<LetheRun> {
  const child = spawn(process.execPath, [resolve(__dirname, '../../bin/lethe.js'), ...args], { cwd: resolve(__dirname, '../../../..'), env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((done) => child.once('close', (code) => done({ code, stdout, stderr })));
}
