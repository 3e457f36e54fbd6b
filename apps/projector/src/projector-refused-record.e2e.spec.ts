import { ChildProcess } from 'node:child_process';
import { HEADERS } from '@lethe/contracts';
import { consentEvent, freshDatabase, freshTopicSet, subjectOn, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ProjectorHarness } from './testing/projector-harness';

// A record PostgreSQL refuses for what it holds must not block its partition: it goes to
// consent.dlq with the reason and the records after it are applied. The record is a real one
// (a NUL in a free-text field, which Avro carries and jsonb cannot store), on this suite's own
// topics, so no other test's projector ever reads it.

const kafka = testKafka('projector-refused');
let harness: ProjectorHarness;
let projector: ChildProcess | undefined;

beforeAll(async () => {
  harness = await ProjectorHarness.open({ freshDatabase, freshTopicSet, testEndpoints, uniqueName, waitFor }, kafka, uniqueName('test.projector-refused'));
});

afterAll(async () => {
  if (projector && projector.exitCode === null) {
    const exit = new Promise((done) => projector?.once('exit', done));
    projector.kill('SIGTERM');
    await exit;
  }
  await harness.close();
});

it('parks a record the store refuses on consent.dlq with the reason and applies the rest of its partition', async () => {
  const [refused, fine] = [subjectOn(0), subjectOn(0)];
  const [written] = await harness.produce([
    consentEvent({ subject_id: refused, purposes: ['marketing'], payload: { type: 'ObjectionRaised', reason: 'direct\u0000marketing' } }),
    ...Array.from({ length: 5 }, (_, i) => consentEvent({ subject_id: fine, purposes: [`purpose-${i}`], payload: { type: 'ConsentGranted' } })),
  ]);
  const end = (await harness.endOffsets()).get(0) as bigint;
  projector = harness.spawn();
  await waitFor(async () => ((await harness.storedOffsets()).get(0) ?? 0n) >= end, {
    description: 'partition 0 to move past the refused record',
    timeoutMs: 90_000,
  });

  const rows: { subject_id: string; version: number }[] = await harness.database.db.query(`select subject_id, version from subject_state where subject_id = any($1)`, [[refused, fine]]);
  expect(rows).toEqual([{ subject_id: fine, version: 5 }]);

  const letters = await harness.deadLetters((message) => message.key?.toString() === refused);
  expect(letters).toHaveLength(1);
  expect(letters[0].headers?.[HEADERS.dlqReason]?.toString()).toBe('store_refused');
  expect(letters[0].headers?.[HEADERS.dlqDetail]?.toString()).toBe('the projection store refused the record (SQLSTATE 22P05)');
  expect(letters[0].headers?.[HEADERS.dlqSourcePartition]?.toString()).toBe('0');
  expect(letters[0].headers?.[HEADERS.dlqSourceOffset]?.toString()).toBe(written.baseOffset);
}, 120_000);
