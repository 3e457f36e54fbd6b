import { safeErrorSummary } from '@lethe/config';

/**
 * What every `lethe` command shares: its exit codes, where it prints, and a small parser of
 * `--name value` options whose errors name the argument, never the value (which may be personal).
 */
export const EXIT = {
  ok: 0,
  /** The work failed (a service did not answer, a record could not be read); `diff`: the projections differ. */
  failed: 1,
  usage: 2,
  /** Refused or found nothing: `rebuild` into a schema that holds data, `diff` of a schema that is no projection, a subject with no events. */
  refused: 3,
} as const;

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Rewrites the current progress line of a terminal; undefined when stderr is not one. */
  status?(line: string): void;
}

/** A mistake in the arguments or settings: the command prints it with its usage and exits 2. */
export class UsageError extends Error {}

/** A refusal the operator can act on (exit 3). */
export class Refusal extends Error {}

export type OptionKind = 'string' | 'flag';

export interface CommandSpec {
  name: string;
  /** The usage lines, without the leading `usage: `. */
  usage: string;
  /** What the command does, what it costs, its exit codes: printed by --help. */
  help: string;
  options: Record<string, OptionKind>;
  /** Names of the positional arguments, all required. */
  positionals?: string[];
  /** The exit code of a failure, when 1 means something else for this command (`diff`: different). */
  failedExit?: number;
}

export interface Parsed {
  options: Record<string, string | true | undefined>;
  positionals: string[];
  help: boolean;
}

export function parseArgs(spec: CommandSpec, args: string[]): Parsed {
  const options: Parsed['options'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') return { options, positionals, help: true };
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const kind = spec.options[name];
    if (!kind) throw new UsageError(`unknown option --${name}`);
    if (options[name] !== undefined) throw new UsageError(`--${name} is given twice`);
    if (kind === 'flag') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    options[name] = value;
  }
  const expected = spec.positionals ?? [];
  if (positionals.length > expected.length) throw new UsageError(`too many arguments: ${spec.name} takes ${expected.length === 0 ? 'none' : expected.map((p) => `<${p}>`).join(' ')}`);
  if (positionals.length < expected.length) throw new UsageError(`missing <${expected[positionals.length]}>`);
  return { options, positionals, help: false };
}

export function required(parsed: Parsed, name: string): string {
  const value = parsed.options[name];
  if (typeof value !== 'string') throw new UsageError(`--${name} is required`);
  return value;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A PostgreSQL schema named on the command line: a lower-case SQL identifier, as LETHE_DB_SCHEMA. */
export function schemaName(value: string, argument: string): string {
  if (!SCHEMA_NAME.test(value)) throw new UsageError(`${argument} must be a lower-case SQL identifier (letters, digits, _; at most 63)`);
  return value;
}

export interface Command {
  spec: CommandSpec;
  run(parsed: Parsed, env: Record<string, string | undefined>, io: Output): Promise<number>;
}

/** Parses, prints help or usage, runs; failures are one line on stderr, never a stack trace. */
export async function runCommand(command: Command, args: string[], env: Record<string, string | undefined>, io: Output): Promise<number> {
  const { spec } = command;
  let parsed: Parsed;
  try {
    parsed = parseArgs(spec, args);
  } catch (error) {
    io.err(`lethe ${spec.name}: ${(error as Error).message}`);
    io.err(`usage: ${spec.usage}`);
    return EXIT.usage;
  }
  if (parsed.help) {
    io.out(`usage: ${spec.usage}\n\n${spec.help}`);
    return EXIT.ok;
  }
  try {
    return await command.run(parsed, env, io);
  } catch (error) {
    const known = error instanceof UsageError || error instanceof Refusal;
    // Anything else may come from a driver whose message quotes a value: summarised safely.
    io.err(`lethe ${spec.name}: ${known ? (error as Error).message : safeErrorSummary(error)}`);
    if (error instanceof UsageError) {
      io.err(`usage: ${spec.usage}`);
      return EXIT.usage;
    }
    return error instanceof Refusal ? EXIT.refused : (spec.failedExit ?? EXIT.failed);
  }
}
