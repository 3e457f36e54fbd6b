import { runScenario } from '../scenario';

// The session cache's Redis crashes (SIGKILL) while cache steps run and comes back three seconds
// later on its append-only file. Cache steps in flight fail and are retried under the systems
// file's policy; a step may be reported completed only once its keys are gone, so after the
// restart no completed erasure may have left a session key behind.
it('completes every erasure, its session keys gone, when Redis crashes and restarts', async () => {
  const result = await runScenario('redis-restart', {
    fault: async ({ redis, mark, sleep }) => {
      await redis.stop('SIGKILL');
      mark('redis killed');
      await sleep(3_000);
      await redis.start();
      mark('redis started');
    },
  });
  expect(result.invariants.filter((i) => !i.pass)).toEqual([]);
  expect(result.accepted).toBeGreaterThan(0);
});
