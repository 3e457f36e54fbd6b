import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { identityRetentionEnd } from '@lethe/consent-domain';
import { ConsentEvent, ConsentEventPayload, retentionShredId } from '@lethe/contracts';
import { encryptIdentities } from '@lethe/identity-vault';
import { appendToConsentLog } from '@lethe/kafka';
import { AppProcess, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ApiHarness, LogTail } from './testing/api-harness';

// Retention-based crypto-shredding through the running services (docs/adr/0022): a subject who
// opted out and has nothing granted keeps their identifiers for the retention of the opt-out's
// jurisdiction, then the projector appends KeyShredded (cause RETENTION_ELAPSED) and destroys
// their key; a subject who granted something since keeps theirs. Time cannot pass by two years
// in a test, so the facts are appended with the recorded_at they would have had back then.

jest.setTimeout(180_000);

const endpoints = testEndpoints();
const DAY = 86_400_000;
const MONTH = 30 * DAY;
const newSubject = (name: string) => `subj-${name}-${randomBytes(4).toString('hex')}`;
const subjects = { ended: newSubject('ended'), regranted: newSubject('regranted'), endsSoon: newSubject('ends-soon') };

let api: ApiHarness;
let pool: Pool;
let tail: LogTail;
let projector: AppProcess;

async function append(subjectId: string, recordedAt: number, payload: ConsentEventPayload, purposes: string[] = []): Promise<ConsentEvent> {
  const key = await api.runtime.keyStore.keyFor(subjectId);
  const event: ConsentEvent = {
    event_id: randomUUID(),
    subject_id: subjectId,
    occurred_at: recordedAt,
    recorded_at: recordedAt,
    source: 'API',
    actor: 'checkout-service',
    jurisdiction: 'CCPA',
    policy_version: null,
    purposes,
    correlation_id: null,
    causation_id: null,
    identities: encryptIdentities([{ type: 'email', value: `${subjectId}@example.com` }], subjectId, key),
    payload,
  };
  await appendToConsentLog(api.runtime.producer, api.runtime.codec, api.topics.consentLog, [event]);
  return event;
}

const keyHeld = async (subjectId: string) =>
  (await pool.query(`select wrapped_key from "${api.schema}".subject_keys where subject_id = $1`, [subjectId])).rows[0]?.wrapped_key !== null;
const consent = async (subjectId: string) => (await api.call({ method: 'GET', url: `/v1/subjects/${subjectId}/consent` })).json();
const shredsOf = async (subjectId: string) => (await tail.eventsOf(subjectId)).filter((event) => event.payload.type === 'KeyShredded');

beforeAll(async () => {
  pool = new Pool({ connectionString: endpoints.databaseUrl, max: 2 });
  api = await ApiHarness.start('identity-retention-e2e');
  tail = api.logTail(testKafka('identity-retention-tail').consumer({ groupId: uniqueName('test.retention-tail') }), waitFor);
  await tail.start();
}, 120_000);

afterAll(async () => {
  await projector?.stop();
  await tail?.stop();
  await api?.close();
  await pool?.end();
});

it('shreds the key once the retention after an opt-out ends with nothing granted, and only then', async () => {
  const now = Date.now();
  // Opted out of sale 25 months ago (CCPA keeps identifiers 24 months): ended before the projector starts.
  const longAgo = await append(subjects.ended, now - 25 * MONTH, { type: 'OptOutRecorded', kinds: ['SALE'] });
  // The same, but a grant of marketing a month later: the relationship goes on, so the key stays.
  await append(subjects.regranted, now - 25 * MONTH, { type: 'OptOutRecorded', kinds: ['SALE'] });
  await append(subjects.regranted, now - 24 * MONTH, { type: 'ConsentGranted' }, ['marketing']);
  // An opt-out whose retention ends a few seconds from now: only the sweep can find it, as time passes.
  const inEightSeconds = new Date(now + 8_000);
  let soonRecordedAt = inEightSeconds.setUTCMonth(inEightSeconds.getUTCMonth() - 24);
  while (identityRetentionEnd('CCPA', soonRecordedAt) < now + 8_000) soonRecordedAt += 1_000;
  const soonEnd = identityRetentionEnd('CCPA', soonRecordedAt);
  const soon = await append(subjects.endsSoon, soonRecordedAt, { type: 'OptOutRecorded', kinds: ['SALE'] });

  projector = new AppProcess('apps/projector/src/main.ts', { ...api.env, LETHE_PROJECTOR_GROUP: uniqueName('test.retention-projector'), LETHE_RETENTION_SWEEP_MS: '1000' });

  // Folded: the ended retention is shredded at once; the one ending soon is not, yet.
  await waitFor(async () => !(await keyHeld(subjects.ended)), { description: 'the key of the subject whose retention ended to be destroyed', timeoutMs: 60_000 });
  const [shred] = await shredsOf(subjects.ended);
  expect(shred).toMatchObject({
    event_id: retentionShredId(subjects.ended, longAgo.event_id),
    causation_id: longAgo.event_id,
    source: 'SYSTEM',
    actor: 'lethe-projector',
    jurisdiction: 'CCPA',
    identities: null,
    payload: { type: 'KeyShredded', request_id: null, cause: 'RETENTION_ELAPSED' },
  });
  expect((await consent(subjects.ended)).keyShredded).toEqual({ at: new Date(shred.recorded_at).toISOString(), cause: 'retention_elapsed', requestId: null });
  await waitFor(async () => (await consent(subjects.endsSoon)).identityRetentionEndsAt === new Date(soonEnd).toISOString(), { description: 'the retention ending soon to be folded' });
  if (Date.now() < soonEnd) expect(await keyHeld(subjects.endsSoon)).toBe(true);

  // Time passes: the sweep finds the retention that ended, and the fold destroys that key too.
  await waitFor(async () => !(await keyHeld(subjects.endsSoon)), { description: 'the sweep to shred the key whose retention just ended', timeoutMs: 60_000 });
  const [swept] = await shredsOf(subjects.endsSoon);
  expect(swept).toMatchObject({ causation_id: soon.event_id, payload: { cause: 'RETENTION_ELAPSED' } });
  expect(swept.recorded_at).toBeGreaterThanOrEqual(soonEnd);

  // Several sweeps later: one shred each, the regranted subject's key still held and no retention running.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(await shredsOf(subjects.ended)).toHaveLength(1);
  expect(await shredsOf(subjects.endsSoon)).toHaveLength(1);
  expect(await shredsOf(subjects.regranted)).toHaveLength(0);
  expect(await keyHeld(subjects.regranted)).toBe(true);
  expect(await consent(subjects.regranted)).toMatchObject({ keyShredded: null, identityRetentionEndsAt: null });

  // No identifier can be stored for a shredded subject any more; one without identifiers is still recorded.
  const identities = [{ type: 'email', value: `${subjects.ended}@example.com` }];
  const refused = await api.post(`/v1/subjects/${subjects.ended}/opt-outs`, { kinds: ['SHARING'], jurisdiction: 'CCPA', identities });
  expect(refused.json()).toMatchObject({ statusCode: 409, reason: 'subject_key_shredded' });
  expect((await api.post(`/v1/subjects/${subjects.ended}/opt-outs`, { kinds: ['SHARING'], jurisdiction: 'CCPA' })).statusCode).toBe(202);

  // The auditor's timeline says why the key went, and shows the identifiers as [shredded].
  const history = new AppProcess('apps/lethe-cli/bin/lethe.js', { ...api.env, LETHE_MASTER_KEY: '' }, ['history', '--subject', subjects.ended]);
  expect(await history.exited()).toBe(0);
  expect(history.output).toMatch(/KeyShredded {2}cause=RETENTION_ELAPSED/);
  expect(history.output).toContain('identities=[shredded]');
  expect(history.output).not.toContain('@example.com');
});
