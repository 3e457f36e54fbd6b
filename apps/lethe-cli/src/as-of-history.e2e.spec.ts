import { randomBytes, randomUUID } from 'node:crypto';
import { ConsentEvent } from '@lethe/contracts';
import { encryptIdentities, PostgresKeyStore } from '@lethe/identity-vault';
import { consentEvent, freshDatabase, freshTopicSet, subjectOn, testEndpoints, testKafka } from '@lethe/testing';
import { FreshLog } from './testing/fresh-log';
import { runLethe } from './testing/lethe-process';

// `lethe as-of` and `lethe history` on a subject with a grant, a withdrawal and an erasure that
// carry encrypted identities, as consent-api writes them: by event time and by log position, in
// text and JSON, identifiers never in clear unless revealed, and [shredded] once the key is gone.

jest.setTimeout(120_000);

const kafka = testKafka('lethe-as-of-e2e');
const masterKey = randomBytes(32);
const subject = subjectOn(2);
const neighbour = subjectOn(2); // same partition: its records must be left out
const email = `ada.${randomBytes(3).toString('hex')}@example.com`;
const requestId = `dsr-${randomBytes(3).toString('hex')}`;
const T = Date.parse('2026-03-01T09:00:00.000Z');
const day = 86_400_000;
let log: FreshLog;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
const offsets: string[] = [];

beforeAll(async () => {
  log = await FreshLog.open({ freshTopicSet, testEndpoints }, kafka);
  database = await freshDatabase();
  env = { LETHE_TOPIC_PREFIX: log.prefix, LETHE_DB_SCHEMA: database.schema, LETHE_MASTER_KEY: '' };

  const keys = new PostgresKeyStore(database.db, masterKey);
  const identities = encryptIdentities([{ type: 'email', value: email }], subject, await keys.keyFor(subject));
  const events: ConsentEvent[] = [
    consentEvent({ subject_id: subject, occurred_at: T, recorded_at: T, payload: { type: 'ConsentGranted' }, policy_version: '2026-01', actor: 'web-shop' }),
    consentEvent({ subject_id: neighbour, occurred_at: T + day / 2, payload: { type: 'ConsentGranted' } }),
    consentEvent({ subject_id: subject, occurred_at: T + day, recorded_at: T + day, payload: { type: 'ConsentWithdrawn' }, jurisdiction: 'GDPR', actor: 'web-shop', identities }),
    consentEvent({
      subject_id: subject,
      occurred_at: T + 2 * day,
      recorded_at: T + 2 * day,
      source: 'WEB',
      actor: 'dpo-desk',
      purposes: [],
      identities,
      payload: { type: 'ErasureRequested', request_id: requestId, scope: 'ALL', keep_transaction_history: false, systems: ['crm'], all_systems: false },
    }),
  ];
  for (const event of events) {
    const [sent] = await log.append([event]);
    expect(sent.partition).toBe(2);
    if (event.subject_id === subject) offsets.push(sent.baseOffset as string);
  }
});

afterAll(async () => {
  await database?.drop();
  await log?.close();
});

const iso = (ms: number) => new Date(ms).toISOString();

it('lists the timeline one line per fact, identifiers shown as [encrypted]', async () => {
  const text = await runLethe(env, 'history', '--subject', subject);
  expect([text.code, text.stderr]).toEqual([0, '']);
  expect(text.stdout.split('\n')).toEqual([
    `${iso(T)}  ConsentGranted  purposes=marketing  source=API  actor=web-shop  jurisdiction=GDPR  policy=2026-01  2@${offsets[0]}`,
    `${iso(T + day)}  ConsentWithdrawn  purposes=marketing  source=API  actor=web-shop  jurisdiction=GDPR  policy=-  2@${offsets[1]}  identities=[encrypted]`,
    `${iso(T + 2 * day)}  ErasureRequested  request=${requestId} scope=ALL  purposes=-  source=WEB  actor=dpo-desk  jurisdiction=GDPR  policy=-  2@${offsets[2]}  identities=[encrypted]`,
    '',
  ]);
  expect(text.stdout).not.toContain(email);

  const json = await runLethe(env, 'history', '--subject', subject, '--json');
  expect(json.code).toBe(0);
  const parsed = JSON.parse(json.stdout);
  expect(parsed).toEqual({ subject, partition: 2, facts: expect.any(Array) });
  expect(parsed.facts[1]).toEqual({
    position: `2@${offsets[1]}`,
    occurredAt: iso(T + day),
    recordedAt: iso(T + day),
    type: 'ConsentWithdrawn',
    detail: null,
    purposes: ['marketing'],
    source: 'API',
    actor: 'web-shop',
    jurisdiction: 'GDPR',
    policyVersion: null,
    eventId: expect.any(String),
    identities: '[encrypted]',
  });
  expect(parsed.facts.map((fact: { type: string }) => fact.type)).toEqual(['ConsentGranted', 'ConsentWithdrawn', 'ErasureRequested']);
});

it('gives the state at a past instant by event time and by log position, with the events that made it', async () => {
  const granted = await runLethe(env, 'as-of', '--subject', subject, '--at', iso(T + day - 1), '--json');
  expect(granted.code).toBe(0);
  const before = JSON.parse(granted.stdout);
  expect(before).toMatchObject({ subject, partition: 2, at: { time: iso(T + day - 1) }, state: { version: 1, purposes: { marketing: { status: 'GRANTED', policy_version: '2026-01' } }, erasure: 'NONE' } });
  expect(before.events.map((e: { position: string }) => e.position)).toEqual([`2@${offsets[0]}`]);

  const text = await runLethe(env, 'as-of', '--subject', subject, '--at', '2026-03-02T12:00:00Z');
  expect(text.code).toBe(0);
  expect(text.stdout.split('\n')).toEqual([
    `subject ${subject} as of 2026-03-02T12:00:00.000Z (event time): version 2, partition 2`,
    `  marketing: withdrawn since ${iso(T + day)} (policy -)`,
    '  opt-outs: none',
    '  objections: none',
    '  erasure requests: none',
    'made by 2 event(s):',
    `  ${iso(T)}  ConsentGranted  purposes=marketing  source=API  actor=web-shop  jurisdiction=GDPR  policy=2026-01  2@${offsets[0]}`,
    `  ${iso(T + day)}  ConsentWithdrawn  purposes=marketing  source=API  actor=web-shop  jurisdiction=GDPR  policy=-  2@${offsets[1]}  identities=[encrypted]`,
    '',
  ]);

  // By position: up to and including the erasure, given alone or in a list for every partition.
  for (const at of [`2:${offsets[2]}`, `0:0,1:0,2:${offsets[2]},3:0`]) {
    const erased = JSON.parse((await runLethe(env, 'as-of', '--subject', subject, '--at', at, '--json')).stdout);
    expect(erased.state).toMatchObject({ version: 3, erasure: 'OPEN', purposes: { marketing: { status: 'WITHDRAWN' } } });
    expect(erased.events).toHaveLength(3);
    expect(erased.events[2]).toMatchObject({ type: 'ErasureRequested', detail: `request=${requestId} scope=ALL`, identities: '[encrypted]' });
  }
  const first = JSON.parse((await runLethe(env, 'as-of', '--subject', subject, '--at', `2:${offsets[0]}`, '--json')).stdout);
  expect(first.state.purposes.marketing.status).toBe('GRANTED');
  expect((await runLethe(env, 'as-of', '--subject', subject, '--at', '0:5,1:5')).stderr).toMatch(/^lethe as-of: --at names no offset on partition 2, where this subject's records are\n/);
});

it('reveals identifiers only with the master key, says so, and shows [shredded] once the key is gone', async () => {
  expect((await runLethe(env, 'history', '--subject', subject, '--reveal')).code).toBe(2);
  const revealed = await runLethe({ ...env, LETHE_MASTER_KEY: masterKey.toString('base64') }, 'history', '--subject', subject, '--reveal');
  expect(revealed.code).toBe(0);
  expect(revealed.stderr).toMatch(/--reveal: identifiers are decrypted with LETHE_MASTER_KEY and printed in clear/);
  expect(revealed.stdout.split('\n')[1]).toMatch(new RegExp(`identities=email:${email.replace(/\./g, '\\.')}$`));
  const wrongKey = await runLethe({ ...env, LETHE_MASTER_KEY: randomBytes(32).toString('base64') }, 'history', '--subject', subject, '--reveal');
  expect(wrongKey.code).toBe(1);
  expect(wrongKey.stdout).toBe('');

  await new PostgresKeyStore(database.db, masterKey).shred(subject);
  for (const run of [await runLethe(env, 'history', '--subject', subject), await runLethe({ ...env, LETHE_MASTER_KEY: masterKey.toString('base64') }, 'history', '--subject', subject, '--reveal')]) {
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').slice(1, 3).map((line) => line.split('  ').at(-1))).toEqual(['identities=[shredded]', 'identities=[shredded]']);
    expect(run.stdout).not.toContain(email);
  }
});

it('says which argument is wrong without echoing it, and exits 3 for a subject with no records', async () => {
  const badTime = await runLethe(env, 'as-of', '--subject', subject, '--at', email);
  expect(badTime.code).toBe(2);
  expect(badTime.stderr).not.toContain(email);
  expect(badTime.stderr).toMatch(/^lethe as-of: --at must be an ISO 8601 time/);
  expect((await runLethe(env, 'as-of', '--subject', subject)).stderr).toMatch(/^lethe as-of: --at is required\n/);
  expect(await runLethe(env, 'history', '--subject', `subj-${randomUUID()}`)).toMatchObject({ code: 3, stdout: '', stderr: expect.stringMatching(/^lethe history: no records of this subject on /) });
  for (const command of ['history', 'as-of', 'rebuild', 'diff']) {
    const help = await runLethe(env, command, '--help');
    expect([help.code, help.stdout.split('\n')[0]]).toEqual([0, expect.stringMatching(new RegExp(`^usage: lethe ${command} `))]);
  }
  expect((await runLethe(env, 'history', '--help')).stdout).toMatch(/reads the subject's whole partition/);
});
