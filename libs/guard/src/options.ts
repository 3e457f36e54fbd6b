import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';

export interface ConsentGuardOptions {
  /** The service's own kafkajs client (construction stays with the caller). */
  kafka: Kafka;
  schemaRegistryUrl: string;
  /** LETHE_TOPIC_PREFIX of the Lethe installation; default ''. */
  topicPrefix?: string;
  /** The service's name: part of the consumer group and the `service` label of the metrics. */
  service: string;
  /** Until caught up: 'deny' (default, fail closed) or 'allow' (answer from what is known so far). */
  beforeReady?: 'deny' | 'allow';
  /** A subject with no consent recorded for the purpose: 'deny' (default) or 'allow'. */
  whenNoRecord?: 'deny' | 'allow';
  /** How long the guard may go without confirming it is caught up before its answers are stale; default 30 000. */
  maxStalenessMs?: number;
  /** Once stale: 'deny' (default) or 'answer' (from memory, flagged stale). */
  whenStale?: 'deny' | 'answer';
  /** Where the metrics go: a registry, false for none; default prom-client's global register. */
  metrics?: Registry | false;
}

export type ResolvedOptions = Required<Omit<ConsentGuardOptions, 'metrics'>> & Pick<ConsentGuardOptions, 'metrics'>;

export const DEFAULTS = {
  topicPrefix: '',
  beforeReady: 'deny',
  whenNoRecord: 'deny',
  maxStalenessMs: 30_000,
  whenStale: 'deny',
} as const;

/** Fills in the defaults and refuses what cannot work, naming the option (never echoing secrets). */
export function resolveOptions(options: ConsentGuardOptions): ResolvedOptions {
  const resolved = { ...DEFAULTS, ...withoutUndefined(options) } as ResolvedOptions;
  const problems: string[] = [];
  if (!resolved.kafka) problems.push('kafka: a kafkajs client is required');
  if (typeof resolved.schemaRegistryUrl !== 'string' || resolved.schemaRegistryUrl === '') problems.push('schemaRegistryUrl: required');
  if (typeof resolved.service !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(resolved.service)) {
    problems.push('service: required, 1-100 letters, digits, dots, dashes or underscores');
  }
  if (!oneOf(resolved.beforeReady, ['deny', 'allow'])) problems.push("beforeReady: 'deny' or 'allow'");
  if (!oneOf(resolved.whenNoRecord, ['deny', 'allow'])) problems.push("whenNoRecord: 'deny' or 'allow'");
  if (!oneOf(resolved.whenStale, ['deny', 'answer'])) problems.push("whenStale: 'deny' or 'answer'");
  if (!Number.isFinite(resolved.maxStalenessMs) || resolved.maxStalenessMs <= 0) problems.push('maxStalenessMs: a positive number of milliseconds');
  if (problems.length > 0) throw new Error(`invalid ConsentGuard options:\n  ${problems.join('\n  ')}`);
  return resolved;
}

function oneOf(value: unknown, allowed: readonly string[]): boolean {
  return typeof value === 'string' && allowed.includes(value);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
