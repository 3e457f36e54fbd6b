import { runScenario } from '../scenario';

// The schema registry stops for fifteen seconds (a clean stop, then a start on its stored
// schemas). Writers and consumers hold the schemas they already use in memory; whatever needs the
// registry waits (ADR 0012) or fails with a 5xx that is retried. Nothing may be lost, doubled or
// dead-lettered for the registry's absence.
it('loses and doubles nothing when the schema registry is stopped and restarted', async () => {
  const result = await runScenario('registry-restart', {
    fault: async ({ cluster, mark, sleep }) => {
      await cluster.stopRegistry();
      mark('registry stopped');
      await sleep(15_000);
      await cluster.startRegistry();
      mark('registry started');
    },
  });
  expect(result.invariants.filter((i) => !i.pass)).toEqual([]);
  expect(result.accepted).toBeGreaterThan(0);
});
