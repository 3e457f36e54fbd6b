import { SubjectState } from '@lethe/consent-domain';
import { decisionFor, OPT_OUT_SYMBOLS } from '@lethe/contracts';
import { ConsentGuard } from '@lethe/guard';
import { freshDatabase, freshTopicSet, randomEvents, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { toConsentState } from '@lethe/projection';
import { ProjectorHarness } from './testing/projector-harness';

// A guard started from scratch against 100,000 subjects folded by the real projector answers,
// for every subject and purpose, what the projection in PostgreSQL says.

jest.setTimeout(300_000);

const kafka = testKafka('guard-projection-e2e');
const SUBJECTS = 100_000;
let harness: ProjectorHarness;
let guard: ConsentGuard | undefined;

beforeAll(async () => {
  harness = await ProjectorHarness.open({ freshDatabase, freshTopicSet, testEndpoints, uniqueName, waitFor }, kafka, uniqueName('test.guard-projection'));
});

afterAll(async () => {
  await guard?.stop();
  await harness.close();
});

it('is ready on 100,000 projected states and answers as the projection in PostgreSQL for every subject and purpose', async () => {
  const subjects = Array.from({ length: SUBJECTS }, (_, i) => `subj-g${i.toString(36).padStart(5, '0')}`);
  const events = randomEvents(subjects, 2 * SUBJECTS);
  for (let start = 0; start < events.length; start += 5_000) await harness.produce(events.slice(start, start + 5_000));
  const projector = harness.spawn({ LETHE_PROJECTOR_MAX_BATCH: '2000' });
  try {
    await harness.caughtUp();
  } finally {
    projector.kill('SIGTERM');
  }

  guard = ConsentGuard.create({ kafka, schemaRegistryUrl: testEndpoints().schemaRegistryUrl, topicPrefix: harness.prefix, service: 'guard-projection-e2e', metrics: false });
  const started = Date.now();
  await guard.start();
  await guard.ready(120_000);
  console.log(`guard ready on ${SUBJECTS} subjects in ${Date.now() - started} ms`);

  const rows: { subject_id: string; state: SubjectState }[] = await harness.database.db.query(`select subject_id, state from subject_state`);
  expect(rows).toHaveLength(SUBJECTS);
  const names = ['marketing', 'analytics', 'personalisation', ...OPT_OUT_SYMBOLS, 'never-mentioned'];
  const differences: string[] = [];
  const reasons = new Map<string, number>();
  for (const { subject_id, state } of rows) {
    const view = toConsentState(state, 0);
    for (const name of names) {
      const answer = guard.allowed(subject_id, name);
      reasons.set(answer.reason, (reasons.get(answer.reason) ?? 0) + 1);
      const expected = decisionFor(view, name);
      if (answer.reason !== expected || answer.version !== state.version || answer.allowed !== (expected === 'granted')) {
        differences.push(`${subject_id} ${name}: guard ${answer.reason} v${answer.version}, projection ${expected} v${state.version}`);
      }
    }
  }
  expect(differences.slice(0, 5)).toEqual([]);
  // The comparison covers every kind of answer, not only the common ones.
  for (const reason of ['granted', 'withdrawn', 'opted_out', 'erased', 'no_record']) expect(reasons.get(reason)).toBeGreaterThan(0);
});
