import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { KafkaMessage } from 'kafkajs';
import { serializeState, SubjectState } from '@lethe/consent-domain';
import { freePort, freshDatabase, freshTopicSet, randomEvents, subjectOn, testEndpoints, testKafka, uniqueName, waitFor } from '@lethe/testing';
import { foldRecords } from '@lethe/projection';
import { ProjectorHarness } from './testing/projector-harness';

// Two projectors of one group. The first is frozen (SIGSTOP) while it holds a slice, past its
// session timeout, so the group hands its partitions to the second; then it is resumed. Its
// stale slice must not move any offset back, and the end state must equal a replay of the log.

const kafka = testKafka('projector-fencing');
const subjects = Array.from({ length: 8 }, () => `subj-${randomUUID().slice(0, 8)}`);
const session = { LETHE_PROJECTOR_SESSION_TIMEOUT_MS: '6000' };

let harness: ProjectorHarness;
let survivor: ChildProcess | undefined;
let metricsPort: number;

async function exited(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise((done) => child.once('exit', done));
  child.kill(signal);
  await exit;
}

/** Polls the stored offsets until stopped, collecting every move backwards it sees. */
function watchOffsets(): { backwards: string[]; stop: () => Promise<string[]> } {
  const backwards: string[] = [];
  const highest = new Map<number, bigint>();
  let running = true;
  const polling = (async () => {
    while (running) {
      for (const [partition, offset] of await harness.storedOffsets()) {
        const before = highest.get(partition) ?? -1n;
        if (offset < before) backwards.push(`partition ${partition}: ${before} -> ${offset}`);
        else highest.set(partition, offset);
      }
      await new Promise((done) => setTimeout(done, 20));
    }
  })();
  return { backwards, stop: async () => ((running = false), await polling, backwards) };
}

/** The log folded partition by partition from empty state. */
async function replay(log: Map<number, KafkaMessage[]>): Promise<Map<string, SubjectState>> {
  const expected = new Map<string, SubjectState>();
  for (const [partition, messages] of log) {
    const records = await Promise.all(messages.map(async (message) => ({ message, event: await harness.codec.decode(message.value).catch(() => undefined) })));
    for (const state of foldRecords(partition, records, expected).changed) expected.set(state.subjectId, state);
  }
  return expected;
}

beforeAll(async () => {
  harness = await ProjectorHarness.open({ freshDatabase, freshTopicSet, testEndpoints, uniqueName, waitFor }, kafka, uniqueName('test.projector-fencing'));
  metricsPort = await freePort();
});

afterAll(async () => {
  if (survivor) await exited(survivor);
  await harness.close();
});

it('a projector frozen past its session mid-slice, then resumed, never moves state or offsets back', async () => {
  await harness.produce(randomEvents(subjects, 200));
  const offsets = watchOffsets();
  const staleOutput = { text: '' };
  const stale = harness.spawn({ ...session, LETHE_PROJECTOR_FAULT_DELAY_MS: '3000', LETHE_PROJECTOR_MAX_BATCH: '50' }, staleOutput);
  try {
    const [, partition, from, to] = await waitFor(() => /fault injection: partition (\d+) offsets (\d+)\.\.(\d+) wait/.exec(staleOutput.text) ?? undefined, {
      description: 'the first projector to hold a slice',
      timeoutMs: 60_000,
    });
    stale.kill('SIGSTOP');
    // More on that partition, so its owner moves past the end of the frozen slice.
    await harness.produce(randomEvents([subjectOn(Number(partition))], 30));
    survivor = harness.spawn({ ...session, LETHE_METRICS_PORT: String(metricsPort) });
    const end = (await harness.endOffsets()).get(Number(partition)) as bigint;
    expect(end).toBeGreaterThan(BigInt(to) + 1n);
    await waitFor(async () => ((await harness.storedOffsets()).get(Number(partition)) ?? 0n) >= end, {
      description: `the second projector to take partition ${partition} over past offset ${to}`,
      timeoutMs: 90_000,
    });

    stale.kill('SIGCONT');
    await waitFor(() => staleOutput.text.includes(`partition ${partition} is at offset`) || offsets.backwards.length > 0, {
      description: `the resumed projector to be done with its stale slice from offset ${from}`,
      timeoutMs: 30_000,
    });
    expect(offsets.backwards).toEqual([]);
    await exited(stale);
    await harness.produce(randomEvents(subjects, 50));
    await harness.caughtUp();
  } finally {
    stale.kill('SIGCONT');
    await exited(stale);
    await offsets.stop();
  }
  expect(offsets.backwards).toEqual([]);

  // The projection equals a replay of the log up to the offsets stored with it.
  const { offsets: applied, rows } = await harness.snapshot();
  const expected = await replay(await harness.readLog(applied));
  expect(rows.length).toBe(expected.size);
  for (const row of rows) {
    expect(serializeState(row.state)).toBe(serializeState(expected.get(row.subject_id) as SubjectState));
  }
  for (const { published, projected } of await harness.publishedStates(subjects)) expect(published).toEqual(projected);
}, 240_000);

it('commits its position to Kafka after PostgreSQL and reports lethe_consumer_lag', async () => {
  await harness.produce(randomEvents(subjects, 40));
  await harness.caughtUp();
  const positions = async () => {
    const [stored, committed, ends] = await Promise.all([
      harness.storedOffsets(),
      harness.admin.fetchOffsets({ groupId: harness.groupId, topics: [harness.topics.consentLog] }),
      harness.endOffsets(),
    ]);
    const kafkaCommitted = new Map(committed[0].partitions.map((p) => [p.partition, BigInt(p.offset)]));
    return { stored, kafkaCommitted, ends };
  };
  await waitFor(
    async () => {
      const { stored, kafkaCommitted } = await positions();
      return [...stored].every(([partition, offset]) => kafkaCommitted.get(partition) === offset);
    },
    { description: 'Kafka to hold the offsets stored in PostgreSQL for every partition', timeoutMs: 30_000 },
  );
  await waitFor(
    async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const { stored, ends } = await positions();
      return [...ends].every(([partition, end]) => {
        const series = `lethe_consumer_lag{group="${harness.groupId}",topic="${harness.topics.consentLog}",partition="${partition}"}`;
        return text.includes(`${series} ${end - (stored.get(partition) ?? 0n)}\n`);
      });
    },
    { description: 'lethe_consumer_lag to show each partition at its lag', timeoutMs: 30_000 },
  );
}, 120_000);
