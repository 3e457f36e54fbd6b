import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freshDatabase, freshTopicSet, randomEvents, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ProjectorHarness } from './testing/projector-harness';

// Two projectors of one group. The first stalls inside its first slice's transaction, just before
// it publishes, and is frozen (SIGSTOP) past its session and its transaction's idle timeout, so the
// second takes its partitions and publishes newer states of the same subjects. Resumed, the first
// publishes its older states after them and its commit fails: consent.state, a compacted topic,
// would then keep the older states for good unless they are published again from the projection.

const kafka = testKafka('projector-late-publication');
const subjects = Array.from({ length: 8 }, () => `subj-${randomUUID().slice(0, 8)}`);
const session = { LETHE_PROJECTOR_SESSION_TIMEOUT_MS: '6000' };

let harness: ProjectorHarness;
const children: ChildProcess[] = [];

async function exited(child: ChildProcess): Promise<void> {
  child.kill('SIGCONT');
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exit;
}

/** Every consent.state record of the subjects, up to the topic's end: per subject, the versions in log order. */
async function publishedVersions(): Promise<Map<string, number[]>> {
  const ends = await harness.admin.fetchTopicOffsets(harness.topics.consentState);
  const pending = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  const versions = new Map<string, number[]>();
  const consumer = kafka.consumer({ groupId: uniqueName('test.state-versions') });
  await consumer.connect();
  await consumer.subscribe({ topic: harness.topics.consentState, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString() ?? '';
      if (subjects.includes(key) && message.value) versions.set(key, [...(versions.get(key) ?? []), (await harness.stateCodec.decode(message.value)).version]);
      if (BigInt(message.offset) + 1n >= (pending.get(partition) ?? 0n)) pending.delete(partition);
    },
  });
  await waitFor(() => pending.size === 0, { description: 'consent.state to be read to its end', timeoutMs: 60_000 });
  await consumer.disconnect();
  return versions;
}

beforeAll(async () => {
  harness = await ProjectorHarness.open({ freshDatabase, freshTopicSet, testEndpoints, uniqueName, waitFor }, kafka, uniqueName('test.projector-late-publication'));
});

afterAll(async () => {
  await Promise.all(children.map(exited));
  await harness.close();
});

it('states a slice published before a commit that failed do not outlive the newer states of the next owner on consent.state', async () => {
  const staleOutput = { text: '' };
  // Long enough for SIGSTOP to land inside it on a slow machine; it runs out soon after SIGCONT.
  const stale = harness.spawn({ ...session, LETHE_PROJECTOR_FAULT_PUBLISH_DELAY_MS: '20000', LETHE_PROJECTOR_MAX_BATCH: '50' }, staleOutput);
  children.push(stale);
  await harness.produce(randomEvents(subjects, 120));
  await waitFor(() => /fault injection: partition \d+ waits \d+ ms before publishing/.test(staleOutput.text), {
    description: 'the first projector to stall inside a slice, before publishing it',
    timeoutMs: 60_000,
  });
  stale.kill('SIGSTOP');
  // Newer facts for the same subjects, which the second projector folds and publishes first.
  await harness.produce(randomEvents(subjects, 60));
  children.push(harness.spawn(session));
  await harness.caughtUp();

  stale.kill('SIGCONT');
  await waitFor(() => /fault injection: partition \d+ published \d+ state\(s\) after the stall/.test(staleOutput.text), {
    description: 'the resumed projector to publish its stale slice (acknowledged by the broker)',
    timeoutMs: 60_000,
  });
  await harness.caughtUp();

  // consent.state's last record of every subject is the projection's state.
  const states = await harness.publishedStates(subjects);
  for (const { published, projected } of states) expect(published).toEqual(projected);
  await waitFor(() => /published again the projection's state of \d+ subject\(s\) of partition \d+/.test(staleOutput.text), {
    description: 'the resumed projector to say it published the projection\'s states again',
    timeoutMs: 30_000,
  });
  // Read to the topic's end: every subject's last record is the projection's version, and the
  // scenario happened (some subject's older state landed after a newer one).
  const versions = await publishedVersions();
  const projected = new Map(states.map(({ projected }) => [projected.subject_id, projected.version]));
  for (const [subject, list] of versions) expect([subject, list[list.length - 1]]).toEqual([subject, projected.get(subject)]);
  expect(versions.size).toBe(projected.size);
  const overtaken = [...versions.values()].filter((list) => list.some((version, i) => i > 0 && version < Math.max(...list.slice(0, i))));
  expect(overtaken.length).toBeGreaterThan(0);
}, 300_000);
