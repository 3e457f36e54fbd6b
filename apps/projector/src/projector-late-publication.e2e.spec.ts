import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freshDatabase, freshTopicSet, randomEvents, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { ProjectorHarness } from './testing/projector-harness';

// Two projectors of one group. The first is frozen (SIGSTOP) inside a slice's transaction just
// before it publishes, past its session and its transaction's idle timeout, so the second takes
// its partitions and publishes newer states of the same subjects. Resumed, the first publishes its
// older states after them and its commit fails: consent.state, a compacted topic, would then keep
// the older states for good unless they are published again from the projection.

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

beforeAll(async () => {
  harness = await ProjectorHarness.open({ freshDatabase, freshTopicSet, testEndpoints, uniqueName, waitFor }, kafka, uniqueName('test.projector-late-publication'));
});

afterAll(async () => {
  await Promise.all(children.map(exited));
  await harness.close();
});

it('states a slice published before a commit that failed do not outlive the newer states of the next owner on consent.state', async () => {
  const staleOutput = { text: '' };
  const stale = harness.spawn({ ...session, LETHE_PROJECTOR_FAULT_PUBLISH_DELAY_MS: '2000', LETHE_PROJECTOR_MAX_BATCH: '50' }, staleOutput);
  children.push(stale);
  await harness.produce(randomEvents(subjects, 120));
  await waitFor(() => /fault injection: partition \d+ waits \d+ ms before publishing/.test(staleOutput.text), {
    description: 'the first projector to stall inside a slice, before publishing it',
    timeoutMs: 60_000,
  });
  stale.kill('SIGSTOP');
  // Newer facts for the same subjects, which the second projector folds and publishes first.
  await harness.produce(randomEvents(subjects, 60));
  const survivorOutput = { text: '' };
  children.push(harness.spawn(session, survivorOutput));
  await harness.caughtUp();

  stale.kill('SIGCONT');
  await waitFor(() => /fault injection: partition \d+ published \d+ state\(s\) after the stall/.test(staleOutput.text), {
    description: 'the resumed projector to publish its stale slice (acknowledged by the broker)',
    timeoutMs: 60_000,
  });
  await harness.caughtUp();

  const states = await harness.publishedStates(subjects);
  for (const { published, projected } of states) expect(published).toEqual(projected);
  // The repair logs once its own transaction committed, just after its records landed.
  await waitFor(() => /published again the projection's state of \d+ subject\(s\) of partition \d+/.test(staleOutput.text), {
    description: 'the resumed projector to say it published the projection\'s states again',
    timeoutMs: 30_000,
  });
}, 240_000);
