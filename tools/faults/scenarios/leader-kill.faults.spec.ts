import { runScenario } from '../scenario';

// The leader of consent.log's partition 0 dies without a controlled shutdown (SIGKILL) while
// writes, folds and erasures go on. Writes in flight to it fail or time out and are retried with
// the same Idempotency-Key; with replication 3 and min.insync.replicas 2 the two others take over,
// so writes must succeed again while it is still down (within 60 s: the controller's broker
// session, 9 s, an election, the producers' backoff). How long that takes is measured, not
// asserted: RELIABILITY.md reports it (10-25 s). It comes back on its data; no acknowledged fact
// may be lost or doubled.
it('keeps writing, and loses and doubles nothing, when the leader of consent.log is killed and restarted', async () => {
  const result = await runScenario('leader-kill', {
    fault: async ({ cluster, topics, mark, writesSucceed }) => {
      const leader = await cluster.leaderOf(topics.consentLog, 0);
      await cluster.kill(leader);
      mark(`killed node ${leader}`);
      await writesSucceed(60_000);
      await cluster.start(leader);
      mark(`restarted node ${leader}`);
    },
  });
  expect(result.invariants.filter((i) => !i.pass)).toEqual([]);
  expect(result.accepted).toBeGreaterThan(0);
});
