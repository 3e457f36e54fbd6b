import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { faultsStack } from './env';

const answers = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => (socket.destroy(), done(data.toString().startsWith('+PONG'))));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => (socket.destroy(), done(false)));
  });

/** Polls until `check` holds; throws naming `what` past the deadline (no module mapping here: the suite's set-up loads this file). */
async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * A redis-server of the fault suite's own on a spare port, daemonised with a pid file and
 * persisting to a folder (appendonly), so any process (the suite's set-up, a scenario) can kill it
 * and start it again by that file.
 */
export class RedisServer {
  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private get pidFile(): string {
    return join(this.dir, 'redis.pid');
  }

  /** Starts it, unless the one this pid file names is running already (a stack kept with LETHE_KEEP_STACK=1). */
  async start(): Promise<void> {
    const pid = existsSync(this.pidFile) ? Number(readFileSync(this.pidFile, 'utf8').trim()) : 0;
    if (pid > 0 && alive(pid) && (await answers(this.port))) return;
    if (await answers(this.port)) throw new Error(`port ${this.port} already answers as Redis: stop it or set LETHE_FAULTS_REDIS_PORT`);
    mkdirSync(this.dir, { recursive: true });
    const run = spawnSync('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'yes', '--pidfile', this.pidFile, '--logfile', join(this.dir, 'redis.log')], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`redis-server did not start: ${run.error?.message ?? run.stderr}`);
    await until(() => answers(this.port), `redis-server on port ${this.port}`);
  }

  /** SIGKILL (a crash) or SIGTERM (a clean stop), by the pid file; waits until the process is gone. */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    if (pid > 0 && alive(pid)) {
      process.kill(pid, signal);
      await until(() => !alive(pid), `redis-server (pid ${pid}) to exit`);
    }
    rmSync(this.pidFile, { force: true });
  }
}

/** The fault suite's Redis (the session cache of every scenario), by its port and folder. */
export const suiteRedis = (stack = faultsStack()) => new RedisServer(stack.redisPort, join(stack.stackDir, 'redis'));
