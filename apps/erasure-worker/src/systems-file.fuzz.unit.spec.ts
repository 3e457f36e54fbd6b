import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { dump } from 'js-yaml';
import { ConfigError } from '@lethe/config';
import { readSystemsFile } from '@lethe/connectors';
import { buildConnector } from './connectors';

// Fuzzing the systems file as the worker reads it at start (readSystemsFile, then each entry's
// connector): a valid file with one key broken (removed, of the wrong type, an unknown or
// prototype-polluting key added), written as YAML or JSON, or bytes that are no file at all. The
// property: it is accepted, or refused with a ConfigError naming the broken key (or one above or
// below it), never a TypeError, a crash or a stack trace.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

const VALID = {
  retry: { maxAttempts: 6, initialDelayMs: 1000, maxDelayMs: 300000 },
  systems: [
    {
      name: 'shop-db',
      type: 'sql',
      url: 'postgres://lethe_eraser@127.0.0.1:1/shop',
      schema: 'public',
      hmacSecret: 'a-long-random-secret',
      subject: { table: 'customers', column: 'external_id', match: 'subject_id' },
      tables: [
        { name: 'customers', root: true, action: 'delete', whenKeepingHistory: 'anonymize', fields: { email: 'redact' } },
        { name: 'orders', via: { column: 'customer_id', references: 'customers.id' }, action: 'anonymize', fields: { name: 'null', address: 'hmac' } },
        { name: 'invoices', via: { column: 'customer_id', references: 'customers.id' }, legalHold: { basis: 'kept 10 years', fields: { email: 'null' } } },
      ],
      onOptOut: { marketing: 'anonymize' },
    },
    { name: 'session-cache', type: 'cache', url: 'redis://127.0.0.1:1/0', keys: ['session:{subjectId}'], patterns: ['cart:{subjectId}:*'], onOptOut: { marketing: 'suppress' } },
    { name: 'profile-topics', type: 'kafka', brokers: ['127.0.0.1:1'], topics: [{ topic: 'customer.profiles', key: '{subjectId}' }] },
    { name: 'mailer', type: 'http', url: 'https://mailer.example/opendsr', secret: 'shared-hmac-secret-0123', identities: ['email'], onOptOut: { SALE: 'suppress' } },
  ],
} as const;

/** Every path into the valid file, each with the value there. */
function pathsOf(value: Json, path: Path = []): Path[] {
  const children = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : value && typeof value === 'object' ? Object.entries(value) : [];
  return [path, ...children.flatMap(([key, child]) => pathsOf(child, [...path, key]))];
}
const PATHS = pathsOf(VALID as unknown as Json).filter((path) => path.length > 0);
const OBJECT_PATHS = pathsOf(VALID as unknown as Json).filter((path) => isPlainObject(at(VALID as unknown as Json, path)));

function at(value: Json, path: Path): Json {
  return path.reduce<Json>((node, key) => (node as Record<string | number, Json>)[key], value);
}

function isPlainObject(value: unknown): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property, even `__proto__` (an assignment would set the prototype instead). */
function define(target: Record<string, Json> | Json[], key: string | number, value: Json | undefined): void {
  if (value === undefined) {
    if (Array.isArray(target)) target.splice(key as number, 1);
    else delete target[key as string];
  } else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const nested = (depth: number): Json => (depth === 0 ? 'x' : { a: nested(depth - 1) });

const WRONG_VALUES: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, '', ' ', [], {}, [[]], { '': '' }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 3000, minLength: 2000 }),
  fc.constantFrom('\u0000', '\u001b[31m', '\ud800', 'a\udc00b', '\u0085', 'Ada Lovelace <ada@example.com>', '{subjectID}', '{', 'customers.id.x'),
  fc.integer({ min: 1, max: 80 }).map(nested), // deeper is refused by the YAML reader itself (maxDepth 100), as the last property checks
  fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxKeys: 4 }),
);

const ODD_KEYS = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', 'isPrototypeOf', '', ' ', 'Bad Key', 'retyr'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
);

type Mutation = { at: Path; offending: Path; apply: (doc: Record<string, Json>) => void; [fc.toStringMethod]?: () => string };

/** Shown by fast-check in a counterexample instead of the closure. */
const described = (what: string, change: Mutation): Mutation => ({ ...change, [fc.toStringMethod]: () => what });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom(...PATHS).map((path) =>
    // A missing key may be reported by the sibling that then lacks it (no legalHold: the table needs an action).
    described(`remove ${path.join('.')}`, { at: path, offending: path.slice(0, -1), apply: (doc) => define(at(doc, path.slice(0, -1)) as Record<string, Json>, path[path.length - 1], undefined) }),
  ),
  fc.tuple(fc.constantFrom(...PATHS), WRONG_VALUES).map(([path, value]) =>
    described(`set ${path.join('.')} to ${fc.stringify(value)}`, {
      at: path,
      offending: path,
      apply: (doc) => define(at(doc, path.slice(0, -1)) as Record<string, Json>, path[path.length - 1], value),
    }),
  ),
  fc.tuple(fc.constantFrom(...OBJECT_PATHS), ODD_KEYS, WRONG_VALUES).map(([path, key, value]) =>
    described(`add ${fc.stringify(key)} = ${fc.stringify(value)} to ${path.join('.') || '(root)'}`, {
      at: [...path, key],
      offending: [...path, key],
      apply: (doc) => define(at(doc, path) as Record<string, Json>, key, value),
    }),
  ),
);

/** The key paths a refusal names, as token lists: `systems[1] (x): … tables[2].via.references: …` names systems[1].tables[2].via.references. */
function namedPaths(message: string): string[][] {
  const tokens = (text: string) => [...text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => m[1] ?? m[2]);
  const entry = message.match(/^(systems\[\d+\]) \([^)]*\): invalid \w+ connector configuration: (.*)$/s);
  if (entry) return entry[2].split('; ').map((issue) => [...tokens(entry[1]), ...tokens(issue.slice(0, issue.indexOf(': ')).replace('(root)', ''))]);
  const colon = message.indexOf(': ');
  return colon > 0 ? [tokens(message.slice(0, colon))] : [];
}

function related(named: string[], offending: Path): boolean {
  const want = offending.map((key) => (key === '' ? '""' : String(key))); // an empty key is shown quoted
  const shorter = Math.min(named.length, want.length);
  // The key itself, one below it, or one above it inside the same system entry (or the retry policy).
  return shorter >= Math.min(want.length, want[0] === 'systems' ? 2 : 1) && named.slice(0, shorter).every((token, i) => token === want[i]);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lethe-systems-fuzz-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** What the worker does at start: read the file and build every system's connector (none connects). */
async function start(contents: string | Buffer): Promise<void> {
  const path = join(dir, `systems-${files++}.yaml`);
  writeFileSync(path, contents);
  const file = readSystemsFile(path);
  const connectors = file.systems.map((entry) => buildConnector(entry, ['127.0.0.1:1']));
  await Promise.all(connectors.map((connector) => connector.close()));
}

/** Runs `start`; returns the refusal, after checking it is a ConfigError without a stack trace in its message. */
async function refusal(contents: string | Buffer): Promise<ConfigError | null> {
  try {
    await start(contents);
    return null;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`not a ConfigError: ${String(error)}`, { cause: error });
    expect(error.message).not.toMatch(/^\s*at\s.+:\d+:\d+\)?$/m);
    expect(error.message).not.toMatch(/TypeError|undefined is not|Cannot read prop/);
    return error;
  }
}

const serialize = (doc: unknown, format: 'yaml' | 'json') => (format === 'yaml' ? dump(doc, { noRefs: true }) : JSON.stringify(doc));

it('accepts the valid file, in YAML and in JSON', async () => {
  await expect(refusal(serialize(VALID, 'yaml'))).resolves.toBeNull();
  await expect(refusal(serialize(VALID, 'json'))).resolves.toBeNull();
});

it('refuses a file with one key broken by naming that key, never crashing', async () => {
  await fc.assert(
    fc.asyncProperty(mutation, fc.constantFrom('yaml', 'json') as fc.Arbitrary<'yaml' | 'json'>, async (change, format) => {
      const doc = structuredClone(VALID) as unknown as Record<string, Json>;
      change.apply(doc);
      const error = await refusal(serialize(doc, format));
      // A key another one depends on (hmacSecret for an "hmac" field) may be named by that one's refusal.
      const last = change.offending[change.offending.length - 1];
      const dependedOn = typeof last === 'string' && /^[a-zA-Z]{3,}$/.test(last) && error?.message.includes(last);
      if (error && !dependedOn && !namedPaths(error.message).some((named) => related(named, change.offending))) {
        throw new Error(`the refusal does not name ${change.offending.join('.')}: ${error.message}`);
      }
    }),
    { numRuns: 300 },
  );
});

it('refuses every key it does not know, prototype keys included, wherever it is added', async () => {
  const unknownKey = fc.tuple(
    fc.constantFrom(...OBJECT_PATHS),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'Bad Key', 'retyr'),
    WRONG_VALUES.filter((value) => value !== null), // null is a strategy ("null") where keys are column names
  );
  await fc.assert(
    fc.asyncProperty(unknownKey, fc.constantFrom('yaml', 'json') as fc.Arbitrary<'yaml' | 'json'>, async ([path, key, value], format) => {
      const doc = structuredClone(VALID) as unknown as Record<string, Json>;
      define(at(doc, path) as Record<string, Json>, key, value);
      const error = await refusal(serialize(doc, format));
      expect({ key: [...path, key].join('.'), refused: error !== null }).toEqual({ key: [...path, key].join('.'), refused: true });
    }),
    { numRuns: 300 },
  );
});

it('refuses bytes that are no systems file with a ConfigError', async () => {
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.integer({ min: 1, max: 5000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
    fc.integer({ min: 1, max: 5000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
    fc.constantFrom('', 'null', '[]', '"systems"', 'systems: 3', 'systems: [1]', 'systems:\n  - name: a\n    type: sql\n  - *x', '\ufeffsystems: []', 'a: &a [*a]'),
  );
  await fc.assert(
    fc.asyncProperty(garbage, async (contents) => {
      await refusal(contents);
    }),
    { numRuns: 300 },
  );
});
