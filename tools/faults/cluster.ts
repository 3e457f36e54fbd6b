import { spawn, spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { faultsStack, ROOT, STACK_SCRIPT } from './env';

/** Runs `stack.sh <args>` on the fault suite's stack and waits; throws with its output when it fails. For the suite's set-up, which has nothing else to do meanwhile. */
export function stackCommand(args: string[], env = faultsStack()): string {
  const run = spawnSync('bash', [STACK_SCRIPT, ...args], { cwd: ROOT, env: { ...process.env, ...env.stackEnv }, encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0) throw new Error(`stack.sh ${args.join(' ')} failed (${run.status ?? run.signal}): ${`${run.stdout}${run.stderr}`.trim().slice(-2_000)}`);
  return run.stdout.trim();
}

/** `stackCommand` without blocking: the workload keeps its schedule while a node starts. */
export function stackCommandAsync(args: string[], env = faultsStack()): Promise<string> {
  return new Promise((done, failed) => {
    const child = spawn('bash', [STACK_SCRIPT, ...args], { cwd: ROOT, env: { ...process.env, ...env.stackEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', failed);
    child.once('close', (code) => (code === 0 ? done(output.trim()) : failed(new Error(`stack.sh ${args.join(' ')} failed (${code}): ${output.trim().slice(-2_000)}`))));
  });
}

/**
 * The three-node cluster of the fault suite, one node at a time, through stack.sh's pid files:
 * a node is 1, 2 or 3 (its client port is the base port + node - 1).
 */
export class Cluster {
  private readonly stack = faultsStack();

  get bootstrap(): string[] {
    return this.stack.endpoints.KAFKA_BROKERS.split(',');
  }

  /** SIGKILL: gone at once, no controlled shutdown. */
  async kill(node: number): Promise<void> {
    await stackCommandAsync(['node-kill', String(node)]);
  }

  /** SIGSTOP: frozen, its connections open but silent. */
  async pause(node: number): Promise<void> {
    await stackCommandAsync(['node-pause', String(node)]);
  }

  /** SIGCONT. */
  async resume(node: number): Promise<void> {
    await stackCommandAsync(['node-resume', String(node)]);
  }

  /** Starts a killed node on its data and waits until it serves. */
  async start(node: number): Promise<void> {
    await stackCommandAsync(['node-start', String(node)]);
  }

  async stopRegistry(): Promise<void> {
    await stackCommandAsync(['registry-stop']);
  }

  async startRegistry(): Promise<void> {
    await stackCommandAsync(['registry-start']);
  }

  /** A silent client on every node. */
  kafka(clientId = 'lethe-faults'): Kafka {
    return new Kafka({ clientId, brokers: this.bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 3_000 } });
  }

  /** The node leading `partition` of `topic` now. */
  async leaderOf(topic: string, partition = 0): Promise<number> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const leader = topics[0].partitions.find((p) => p.partitionId === partition)?.leader;
      if (leader === undefined || leader < 1) throw new Error(`${topic}-${partition} has no leader`);
      return leader;
    } finally {
      await admin.disconnect();
    }
  }

  /** True when every partition of `topics` has all its replicas in sync again. */
  async inSync(topics: string[]): Promise<boolean> {
    const admin = this.kafka().admin();
    await admin.connect();
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics });
      return described.every((t) => t.partitions.every((p) => p.isr.length === p.replicas.length));
    } finally {
      await admin.disconnect();
    }
  }
}
