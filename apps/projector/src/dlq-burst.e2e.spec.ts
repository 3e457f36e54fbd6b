import { ChildProcess } from 'node:child_process';
import { Message } from 'kafkajs';
import { HEADERS } from '@lethe/contracts';
import { ACKS_ALL } from '@lethe/kafka';
import { consentEvent, freshDatabase, freshTopicSet, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ProjectorHarness } from './testing/projector-harness';

// A burst of undecodable records must not stall the projector: 5,000 of them (not Avro, an
// unknown schema id, a known id with a broken body) interleaved with 250 valid events, in slices
// of 5,000 and a 6 s session (so a transaction may idle 3 s at most). Their letters go to
// consent.dlq before each slice's transaction (docs/adr/0012); inside it, a busy broker held the
// transaction past its timeout and the slice was redone for ever. bench/projector/dlq-burst.ts
// measures 100,000.

const kafka = testKafka('projector-dlq-burst');
const BAD = 5_000;
const SUBJECTS = 50;
const EVENTS_PER_SUBJECT = 5;
const reasons = ['not_avro', 'unknown_schema', 'corrupt_datum'] as const;
let harness: ProjectorHarness;
let projector: ChildProcess | undefined;

beforeAll(async () => {
  harness = await ProjectorHarness.open({ freshDatabase, freshTopicSet, testEndpoints, uniqueName, waitFor }, kafka, uniqueName('test.projector-dlq-burst'));
});

afterAll(async () => {
  if (projector && projector.exitCode === null) {
    const exit = new Promise((done) => projector?.once('exit', done));
    projector.kill('SIGTERM');
    await exit;
  }
  await harness.close();
});

/** The n-th undecodable record; its key says which reason it must be dead-lettered with. */
function undecodable(n: number, knownId: number): Message {
  const reason = reasons[n % 3];
  const key = `bad-${reason}-${n}`;
  if (reason === 'not_avro') return { key, value: Buffer.from(`{"n":${n}}`) };
  const header = Buffer.alloc(5);
  header.writeInt32BE(reason === 'corrupt_datum' ? knownId : 900_000 + (n % 7), 1);
  return { key, value: Buffer.concat([header, Buffer.alloc(24, 0xff)]) };
}

it('dead-letters every undecodable record of a burst with its reason and folds the valid events between them', async () => {
  const knownId = await harness.codec.register();
  const subjects = Array.from({ length: SUBJECTS }, (_, i) => `subj-burst-${i}`);
  const every = Math.floor(BAD / (SUBJECTS * EVENTS_PER_SUBJECT));
  const messages: Message[] = [];
  let valid = 0;
  for (let n = 0; n < BAD; n++) {
    if (n % every === 0 && valid < SUBJECTS * EVENTS_PER_SUBJECT) {
      const event = consentEvent({ subject_id: subjects[valid % SUBJECTS], purposes: [`purpose-${Math.floor(valid / SUBJECTS)}`], payload: { type: 'ConsentGranted' } });
      messages.push({ key: event.subject_id, value: await harness.codec.encode(event) });
      valid++;
    }
    messages.push(undecodable(n, knownId));
  }
  for (let start = 0; start < messages.length; start += 1_000) {
    await harness.producer.send({ topic: harness.topics.consentLog, acks: ACKS_ALL, messages: messages.slice(start, start + 1_000) });
  }

  projector = harness.spawn({ LETHE_PROJECTOR_MAX_BATCH: '5000', LETHE_PROJECTOR_SESSION_TIMEOUT_MS: '6000', LETHE_LOG_LEVEL: 'error' });
  await harness.caughtUp();

  const rows: { subject_id: string; version: number }[] = await harness.database.db.query(`select subject_id, version from subject_state order by subject_id`);
  expect(rows).toEqual([...subjects].sort().map((subject_id) => ({ subject_id, version: EVENTS_PER_SUBJECT })));

  const distinct = (letters: { headers?: Message['headers'] }[]) => new Set(letters.map((l) => `${l.headers?.[HEADERS.dlqSourcePartition]}:${l.headers?.[HEADERS.dlqSourceOffset]}`)).size;
  const letters = await harness.deadLetters(() => true, (found) => distinct(found) >= BAD, 120_000);
  expect(distinct(letters)).toBe(BAD);
  const wrong = letters.filter((letter) => !letter.key?.toString().startsWith(`bad-${letter.headers?.[HEADERS.dlqReason]?.toString()}-`));
  expect(wrong).toEqual([]);
  expect(letters.every((letter) => letter.headers?.[HEADERS.dlqDetail] !== undefined)).toBe(true);
}, 240_000);
