import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { waitUntilKafkaServes } from '@lethe/kafka';
import { freePort } from './ports';
import { waitFor } from './wait-for';

const ROOT = resolve(__dirname, '../../..');
const LOCAL = join(ROOT, 'deploy/local');

export interface DedicatedBrokerOptions {
  /** The broker's Java heap; default 384m. */
  heap?: string;
  /** How long a start (or restart) may take until the broker serves producers and groups; default 120 s. */
  readyTimeoutMs?: number;
}

/**
 * A single-node KRaft broker of the test's own, for fault tests (stopping the shared broker would
 * break every other test): the jars the local stack fetched, deploy/local/kafka.properties on two
 * free loopback ports, data in a temporary folder. Stop it (SIGKILL, or SIGSTOP to freeze it),
 * restart it on the same ports and data, and close it to remove everything.
 */
export class DedicatedBroker {
  private child: ChildProcess | null = null;
  private paused = false;
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  private constructor(
    readonly port: number,
    private readonly controllerPort: number,
    private readonly dir: string,
    private readonly libs: string,
    private readonly options: Required<DedicatedBrokerOptions>,
  ) {}

  static async start(options: DedicatedBrokerOptions = {}): Promise<DedicatedBroker> {
    const libs = kafkaLibs();
    const [port, controllerPort] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'lethe-broker-'));
    const broker = new DedicatedBroker(port, controllerPort, dir, libs, { heap: options.heap ?? '384m', readyTimeoutMs: options.readyTimeoutMs ?? 120_000 });
    try {
      broker.format();
      await broker.launch();
    } catch (error) {
      await broker.close();
      throw error;
    }
    return broker;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** A kafkajs client on this broker, silent and with short retries (so a test sees an outage, and the end of one, quickly). */
  kafka(clientId: string, config: Partial<KafkaConfig> = {}): Kafka {
    return new Kafka({ clientId, brokers: this.brokers, logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 }, ...config });
  }

  /** SIGKILL: the process is gone, connections are refused. SIGSTOP: it is frozen, connections hang. */
  async stop(signal: 'SIGKILL' | 'SIGSTOP' = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('the dedicated broker is not running');
    if (signal === 'SIGSTOP') {
      child.kill('SIGSTOP');
      this.paused = true;
      return;
    }
    if (this.paused) child.kill('SIGCONT');
    this.paused = false;
    await this.kill(child);
  }

  /** Continues a frozen broker, or starts a killed one again on the same ports and data, and waits until it serves. */
  async restart(): Promise<void> {
    if (this.child && this.paused) {
      this.child.kill('SIGCONT');
      this.paused = false;
      await waitUntilKafkaServes(this.kafka('lethe-dedicated-readiness'), this.options.readyTimeoutMs);
      return;
    }
    if (this.child) throw new Error('the dedicated broker is running; stop it first');
    await this.launch();
  }

  /** Kills the broker (if running) and removes its data. */
  async close(): Promise<void> {
    if (this.child) {
      if (this.paused) this.child.kill('SIGCONT');
      await this.kill(this.child);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private format(): void {
    const config = readFileSync(join(LOCAL, 'kafka.properties'), 'utf8')
      .replaceAll('@KAFKA_PORT@', String(this.port))
      .replaceAll('@CONTROLLER_PORT@', String(this.controllerPort))
      .replaceAll('@DATA_DIR@', join(this.dir, 'data'));
    writeFileSync(this.configFile, config);
    const clusterId = randomBytes(16).toString('base64url'); // what StorageTool random-uuid prints, without a JVM start
    const run = spawnSync(
      'java',
      ['-Xmx256m', `-Dlog4j2.configurationFile=${join(LOCAL, 'tools-log4j2.properties')}`, '-cp', `${this.libs}/*`, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', this.configFile],
      { encoding: 'utf8', timeout: this.options.readyTimeoutMs },
    );
    if (run.status !== 0) throw new Error(`formatting the dedicated broker's storage failed (${run.error?.message ?? `exit ${run.status}`}): ${`${run.stdout}${run.stderr}`.trim().slice(-2_000)}`);
  }

  private async launch(): Promise<void> {
    const logFile = join(this.dir, 'kafka.log');
    const startedAt = existsSync(logFile) ? statSync(logFile).size : 0;
    const log = openSync(logFile, 'a');
    const child = spawn(
      'java',
      [`-Xms128m`, `-Xmx${this.options.heap}`, '-XX:+UseSerialGC', `-Dlog4j2.configurationFile=${join(LOCAL, 'kafka-log4j2.properties')}`, '-cp', `${this.libs}/*`, 'kafka.Kafka', this.configFile],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    this.child = child;
    process.once('exit', this.killOnExit);
    child.once('exit', () => {
      if (this.child === child) this.child = null;
      process.off('exit', this.killOnExit);
    });
    const lastLines = () => readFileSync(logFile, 'utf8').slice(startedAt).split('\n').slice(-20).join('\n');
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`the dedicated broker exited with ${child.exitCode}:\n${lastLines()}`);
        return readFileSync(logFile, 'utf8').slice(startedAt).includes('Kafka Server started');
      },
      { description: `the dedicated broker on port ${this.port} to start`, timeoutMs: this.options.readyTimeoutMs, intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nlast lines of ${logFile}:\n${lastLines()}`);
    });
    await waitUntilKafkaServes(this.kafka('lethe-dedicated-readiness'), this.options.readyTimeoutMs);
  }

  private async kill(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }

  private get configFile(): string {
    return join(this.dir, 'server.properties');
  }
}

/**
 * The broker's jars, where `stack.sh` keeps them: LETHE_STACK_DIR, this checkout's .cache/stack,
 * or the main checkout's (a git worktree shares its cache). When none has them (the tests run
 * against a stack this checkout did not start), `stack.sh fetch` fetches them here first.
 */
function kafkaLibs(): string {
  const own = join(process.env.LETHE_STACK_DIR ?? join(ROOT, '.cache/stack'), 'kafka/libs');
  const stackDirs = [own];
  const common = spawnSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: ROOT, encoding: 'utf8' });
  if (common.status === 0) stackDirs.push(join(dirname(common.stdout.trim()), '.cache/stack/kafka/libs'));
  const hasJars = (libs: string) => existsSync(libs) && readdirSync(libs).some((jar) => /^kafka_2\.13-.+\.jar$/.test(jar));
  const found = stackDirs.find(hasJars);
  if (found) return found;
  const fetch = spawnSync('bash', [join(ROOT, 'deploy/local/stack.sh'), 'fetch'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  if (fetch.status !== 0 || !hasJars(own)) {
    throw new Error(`Kafka's jars were not found (looked in ${stackDirs.join(', ')}) and \`deploy/local/stack.sh fetch\` could not fetch them: ${(fetch.stderr || fetch.stdout || String(fetch.error)).trim().slice(-500)}`);
  }
  return own;
}
