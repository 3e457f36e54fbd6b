import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { ConfigError } from '@lethe/config';
import { BackoffPolicy, DEFAULT_BACKOFF } from './backoff';

export const CONNECTOR_TYPES = ['sql', 'cache', 'kafka', 'http'] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];

/** What a system does when a subject withdraws, objects or opts out (not only on erasure). */
export const REACTION_ACTIONS = ['delete', 'anonymize', 'suppress'] as const;
export type ReactionAction = (typeof REACTION_ACTIONS)[number];

/**
 * The opt-out actions each kind of system can honour (the README's table of actions by type). A
 * database row can be deleted or anonymized, but not "suppressed"; a compacted record can only be
 * deleted; a cache entry is suppressed by deleting it; a third party is told which action is asked.
 */
export const ACTIONS_BY_TYPE: Record<ConnectorType, readonly ReactionAction[]> = {
  sql: ['delete', 'anonymize'],
  cache: ['delete', 'suppress'],
  kafka: ['delete'],
  http: ['delete', 'anonymize', 'suppress'],
};

export interface SystemEntry {
  name: string;
  type: ConnectorType;
  /** Where it sits in the file, for error messages: systems[2]. */
  path: string;
  /** The whole entry, which the connector's own validator checks. */
  raw: Record<string, unknown>;
  /**
   * `onOptOut`: purpose (withdrawn or objected to) or opt-out kind (SALE, SHARING, ...) → action.
   * Empty: the system acts on erasure requests only.
   */
  reactions: Record<string, ReactionAction>;
}

/** The connector's own configuration: the entry without the file's keys, `name` as `system`. */
export function connectorConfigOf(entry: SystemEntry): Record<string, unknown> {
  const { name, type: _type, onOptOut: _onOptOut, ...rest } = entry.raw;
  return { ...rest, system: name };
}

export interface SystemsFile {
  retry: BackoffPolicy;
  systems: SystemEntry[];
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const FILE_KEYS = ['retry', 'systems'];

/**
 * The downstream systems file (YAML or JSON): which systems exist, how to reach each, what to do
 * there. Checked once at start; every error names the key at fault, e.g. `systems[1].type`.
 */
export function readSystemsFile(path: string): SystemsFile {
  let parsed: unknown;
  try {
    parsed = load(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read the systems file ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseSystemsFile(parsed);
}

export function parseSystemsFile(parsed: unknown): SystemsFile {
  if (!isObject(parsed)) throw new ConfigError('the systems file must be a mapping with a `systems` list');
  // Strict like every key below: a misspelt `retry` would otherwise leave the default policy in force, silently.
  const unknown = Object.keys(parsed).find((key) => !FILE_KEYS.includes(key));
  if (unknown !== undefined) throw new ConfigError(`${unknown || '""'}: unknown key (the systems file has ${FILE_KEYS.join(' and ')})`);
  if (!Array.isArray(parsed.systems) || parsed.systems.length === 0) throw new ConfigError('systems: a non-empty list is required');
  const seen = new Set<string>();
  const systems = parsed.systems.map((entry: unknown, i: number): SystemEntry => {
    const path = `systems[${i}]`;
    if (!isObject(entry)) throw new ConfigError(`${path}: must be a mapping`);
    if (typeof entry.name !== 'string' || !NAME.test(entry.name)) {
      throw new ConfigError(`${path}.name: lower-case letters, digits and dashes, starting with a letter`);
    }
    if (seen.has(entry.name)) throw new ConfigError(`${path}.name: "${entry.name}" is declared twice`);
    seen.add(entry.name);
    if (!(CONNECTOR_TYPES as readonly unknown[]).includes(entry.type)) {
      throw new ConfigError(`${path}.type: one of ${CONNECTOR_TYPES.join(', ')}`);
    }
    const type = entry.type as ConnectorType;
    return { name: entry.name, type, path, raw: entry, reactions: reactionsOf(entry.onOptOut, `${path}.onOptOut`, type) };
  });
  return { retry: retryPolicy(parsed.retry), systems };
}

const REACTION_KEY = /^([a-z][a-z0-9_.-]{0,63}|[A-Z][A-Z_]{0,63})$/;

function reactionsOf(raw: unknown, path: string, type: ConnectorType): Record<string, ReactionAction> {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw new ConfigError(`${path}: must be a mapping of purpose or opt-out kind to ${REACTION_ACTIONS.join(', ')}`);
  for (const [key, action] of Object.entries(raw)) {
    if (!REACTION_KEY.test(key)) throw new ConfigError(`${path}.${key}: a purpose (lower case) or an opt-out kind (SALE, SHARING, ...)`);
    if (!(REACTION_ACTIONS as readonly unknown[]).includes(action)) throw new ConfigError(`${path}.${key}: one of ${REACTION_ACTIONS.join(', ')}`);
    if (!ACTIONS_BY_TYPE[type].includes(action as ReactionAction)) {
      throw new ConfigError(`${path}.${key}: a ${type} system can ${ACTIONS_BY_TYPE[type].join(' or ')}, not ${action}`);
    }
  }
  return raw as Record<string, ReactionAction>;
}

function retryPolicy(raw: unknown): BackoffPolicy {
  if (raw === undefined) return DEFAULT_BACKOFF;
  if (!isObject(raw)) throw new ConfigError('retry: must be a mapping');
  const policy = { ...DEFAULT_BACKOFF, ...raw } as Record<string, unknown>;
  for (const key of ['maxAttempts', 'initialDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isInteger(policy[key]) || (policy[key] as number) < 1) throw new ConfigError(`retry.${key}: a whole number of at least 1`);
  }
  // Own keys only: `in` would take what every object inherits (constructor, toString) as settings.
  const unknown = Object.keys(raw).filter((key) => !Object.hasOwn(DEFAULT_BACKOFF, key));
  if (unknown.length) throw new ConfigError(`retry.${unknown[0]}: unknown setting`);
  return policy as unknown as BackoffPolicy;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
