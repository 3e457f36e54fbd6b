import { randomBytes } from 'node:crypto';
import { FakeProcessor } from '@lethe/testing';
import { runScenario } from '../scenario';

// The marketing processor, a third party reached over OpenDSR with signed callbacks, answers 503
// to everything for 15 seconds: several of the worker's retries (each a random wait of up to
// 200 ms doubling to 2 s) meet it down. The retry budget (forty attempts, over 30 s on average)
// outlasts the outage, so every step gets through once it is back. Then it confirms carelessly:
// every final callback twice, up to 1.5 s late (so they arrive out of order across requests), then
// a stale in_progress overtaken by them. Every erasure must still complete, with one completion per
// system (a repeated callback is the same fact; in_progress changes nothing), no worker offset may
// pass a step still awaiting its confirmation, and every certificate must verify.
it('completes every erasure when the processor is down for several retry rounds, then confirms twice and out of order', async () => {
  const secret = randomBytes(24).toString('hex');
  const processor = new FakeProcessor(secret, 300, { copies: 2, jitterMs: 1_500, staleInProgress: true });
  const url = await processor.start();
  try {
    const result = await runScenario('third-party-down', {
      lethe: { thirdParty: { url, secret }, retry: { maxAttempts: 40, initialDelayMs: 200, maxDelayMs: 2_000 } },
      fault: async ({ mark, sleep }) => {
        processor.setDown(true);
        mark('processor down');
        await sleep(15_000);
        processor.setDown(false);
        mark('processor back');
      },
    });
    console.log(`[faults] third-party-down: the processor sent ${processor.callbackRetries} callback(s) again after a 5xx`);
    // The outage was met (requests refused) and the careless callbacks were sent.
    expect(processor.refused).toBeGreaterThan(0);
    expect(processor.extraCallbacks).toBeGreaterThan(0);
    expect(result.invariants.filter((i) => !i.pass)).toEqual([]);
    // Not merely reported failed: the processor came back within the retries, so each completed.
    expect(result.invariants.find((i) => i.name.startsWith('every erasure completed'))?.detail).toMatch(/, 0 failed, 0 pending/);
    expect(result.accepted).toBeGreaterThan(0);
  } finally {
    await processor.stop();
  }
});
