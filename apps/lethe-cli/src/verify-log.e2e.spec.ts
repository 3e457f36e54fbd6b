import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyFromSeed, verifierKey } from '@lethe/certificates';
import { KafkaMessage } from 'kafkajs';
import { AppProcess, consentEvent, freshDatabase, freshTopicSet, subjectOn, testEndpoints, testKafka, waitFor } from '@lethe/testing';
import { copyLog, Tamper } from './testing/copy-log';
import { FreshLog } from './testing/fresh-log';
import { runLethe } from './testing/lethe-process';

// `lethe verify-log` against checkpoints the real checkpointer wrote (and resumed after a kill),
// on consent.log itself and on copies of it tampered with for real: each kind of tampering is
// named with the original's offset and its own exit code.

jest.setTimeout(180_000);

const kafka = testKafka('lethe-verify-log-e2e');
const subject = subjectOn(2);
const others = [subjectOn(0), subjectOn(4)];
let log: FreshLog;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
let vkey: string;
const copies: string[] = [];

/** Runs the checkpointer until every record of consent.log is checkpointed, and returns its verifier key. */
async function checkpointEverything(kill: 'SIGKILL' | 'SIGTERM'): Promise<string> {
  const app = new AppProcess('apps/checkpointer/src/main.ts', { ...process.env, ...env, LETHE_CHECKPOINT_EVERY_RECORDS: '10', LETHE_CHECKPOINT_INTERVAL_MS: '300', LETHE_LOG_LEVEL: 'log', NO_COLOR: '1' });
  try {
    const ends = await log.ends(log.topics.consentLog);
    // The checkpointer names its verifier key once it has started: what an auditor pins.
    const key = await waitFor(() => /verifier key (lethe-checkpoints\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+)/.exec(app.output)?.[1], { timeoutMs: 60_000, description: "the checkpointer's start" });
    await waitFor(
      async () => {
        const rows: { partition: number; size: string }[] = await database.db.query(`select partition, max(size)::text as size from log_checkpoints group by partition`);
        const covered = new Map(rows.map((r) => [r.partition, BigInt(r.size)]));
        return [...ends].every(([partition, end]) => end === 0n || covered.get(partition) === end);
      },
      { timeoutMs: 60_000, description: 'checkpoints covering consent.log' },
    );
    return key;
  } finally {
    app.child.kill(kill);
    await app.exited();
  }
}

beforeAll(async () => {
  log = await FreshLog.open({ freshTopicSet, testEndpoints }, kafka);
  database = await freshDatabase();
  env = { LETHE_TOPIC_PREFIX: log.prefix, LETHE_DB_SCHEMA: database.schema, LETHE_CHECKPOINT_KEY: randomBytes(32).toString('base64') };
  await log.append([...Array.from({ length: 25 }, () => consentEvent({ subject_id: subject })), ...others.map((s) => consentEvent({ subject_id: s }))]);
  await checkpointEverything('SIGKILL');
  // More records, checkpointed by a new process that resumes from the heads in PostgreSQL.
  await log.append(Array.from({ length: 7 }, () => consentEvent({ subject_id: subject, payload: { type: 'ConsentWithdrawn' } })));
  vkey = await checkpointEverything('SIGTERM');
  // Records the checkpointer has not seen: counted, not judged.
  await log.append([consentEvent({ subject_id: subject })]);
});

afterAll(async () => {
  if (copies.length > 0) await log?.admin.deleteTopics({ topics: copies }).catch(() => undefined);
  await database?.drop();
  await log?.close();
});

async function tamperedCopy(name: string, tamper: (records: KafkaMessage[]) => KafkaMessage[]): Promise<string> {
  const topic = `${log.prefix}copy-${name}`;
  copies.push(topic);
  const onPartition2: Tamper = (partition, records) => (partition === 2 ? tamper([...records]) : records);
  await copyLog(kafka, log.admin, log.producer, log.topics.consentLog, topic, onPartition2);
  return topic;
}

it('verifies consent.log and an exact copy of it, and says what is not checkpointed yet (exit 0)', async () => {
  expect(vkey).toMatch(/^lethe-checkpoints\+[0-9a-f]{8}\+[A-Za-z0-9+/=]{44}$/);
  const run = await runLethe(env, 'verify-log', '--key', vkey);
  expect(run.code).toBe(0);
  // Progress on stderr (records, rate, ETA), the findings on stdout.
  expect(run.stderr).toMatch(/^verify-log: records: 35 of 35 \(100\.0%\), [\d,]+\/s, done\n$/);
  expect(run.stdout).toContain('partition 2: verified up to offset 32 against');
  expect(run.stdout).toContain('; 1 later record(s) not checkpointed yet');
  expect(run.stdout).toContain(`${log.topics.consentLog} verified against ${log.topics.consentAudit}`);
  expect(run.stdout).not.toContain(subject);

  const copy = await tamperedCopy('exact', (records) => records);
  const json = await runLethe(env, 'verify-log', '--key', vkey, '--topic', copy, '--json');
  expect(json.code).toBe(0);
  const parsed = JSON.parse(json.stdout);
  expect(parsed).toMatchObject({ topic: copy, auditTopic: log.topics.consentAudit, keys: [vkey], verified: true });
  expect(parsed.partitions.find((p: { partition: number }) => p.partition === 2)).toEqual({ partition: 2, status: 'verified', checkpoints: expect.any(Number), covered: '32', uncovered: 1 });
});

const flipLastByte = (m: KafkaMessage): KafkaMessage => {
  const value = Buffer.from(m.value as Buffer);
  value[value.length - 1] ^= 0x01;
  return { ...m, value };
};

it.each([
  ['altered', 5, '7', (r: KafkaMessage[]) => r.map((m, i) => (i === 7 ? flipLastByte(m) : m))],
  ['missing', 6, '12', (r: KafkaMessage[]) => r.filter((_, i) => i !== 12)],
  ['reordered', 7, '15', (r: KafkaMessage[]) => [...r.slice(0, 15), r[16], r[15], ...r.slice(17)]],
  ['inserted', 8, '20', (r: KafkaMessage[]) => [...r.slice(0, 20), flipLastByte(r[3]), ...r.slice(20)]],
  ['truncated', 9, '28', (r: KafkaMessage[]) => r.slice(0, 28)],
])('names a copy with a record %s, exiting %i, at the offset of the original', async (kind, code, offset, tamper) => {
  const copy = await tamperedCopy(kind, tamper);
  const run = await runLethe(env, 'verify-log', '--key', vkey, '--topic', copy);
  expect(run.code).toBe(code);
  expect(run.stdout).toMatch(new RegExp(`^partition 2: ${kind} at offset ${offset}: .+ \\(checkpoint of size \\d+, ${log.topics.consentAudit.replace(/\./g, '\\.')} offset \\d+\\)$`, 'm'));
  expect(run.stdout).toMatch(/^partition 0: verified up to offset 1 against 1 checkpoint\(s\)$/m);
  expect(run.stdout).toContain(`${copy} does NOT match the checkpoints of ${log.topics.consentLog}`);
  expect(run.stdout).not.toContain(subject);
  const json = JSON.parse((await runLethe(env, 'verify-log', '--key', vkey, '--topic', copy, '--json')).stdout);
  expect(json.partitions.find((p: { partition: number }) => p.partition === 2)).toMatchObject({ status: 'diverged', divergence: { kind, offset } });
});

it('refuses checkpoints signed by another key (exit 4), accepts a key file that also holds the signing one, refuses a malformed key (exit 2)', async () => {
  const other = await runLethe({ ...env, LETHE_CHECKPOINT_KEY: randomBytes(32).toString('base64') }, 'verify-log');
  expect(other.code).toBe(4);
  expect(other.stdout).toMatch(/offset 0 is not a valid checkpoint of .*: the signature by key lethe-checkpoints does not match the note/);
  // A key file with the key that replaced this one and this one: both are tried (key rotation).
  const dir = mkdtempSync(join(tmpdir(), 'lethe-vkeys-'));
  try {
    const newer = verifierKey('lethe-checkpoints', privateKeyFromSeed(randomBytes(32)));
    writeFileSync(join(dir, 'keys'), `${newer}\n${vkey}\n`);
    const rotated = await runLethe(env, 'verify-log', '--key', join(dir, 'keys'), '--json');
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ verified: true, keys: [newer, vkey] });
    writeFileSync(join(dir, 'newer-only'), `${newer}\n`);
    expect((await runLethe(env, 'verify-log', '--key', join(dir, 'newer-only'))).code).toBe(4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bad = await runLethe(env, 'verify-log', '--key', 'lethe-checkpoints+zz+AAAA');
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^lethe verify-log: --key: not an Ed25519 verifier key/);
  expect(bad.stderr).not.toContain('zz+AAAA');
});

it('refuses to verify a log no checkpoint covers yet (exit 3)', async () => {
  const empty = await FreshLog.open({ freshTopicSet, testEndpoints }, kafka);
  try {
    await empty.append([consentEvent({ subject_id: subject })]);
    const run = await runLethe({ ...env, LETHE_TOPIC_PREFIX: empty.prefix }, 'verify-log', '--key', vkey);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(`lethe verify-log: ${empty.topics.consentAudit} holds no checkpoint of ${empty.topics.consentLog} yet: nothing to verify against (is the checkpointer running?)\n`);
    expect(run.stdout).toBe('');
    // Nor a cluster where no checkpointer ever created consent.audit.
    const nothing = await runLethe({ ...env, LETHE_TOPIC_PREFIX: `${empty.prefix}none.` }, 'verify-log', '--key', vkey);
    expect([nothing.code, nothing.stderr]).toEqual([3, expect.stringMatching(/^lethe verify-log: \S+none\.consent\.audit holds no checkpoint of \S+none\.consent\.log yet/)]);
  } finally {
    await empty.close();
  }
});
