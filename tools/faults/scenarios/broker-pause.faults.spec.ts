import { runScenario } from '../scenario';

// A broker frozen (SIGSTOP) longer than the controller's broker session (9 s) and the projector's
// consumer session (10 s here): its connections stay open but silent, which clients notice only by
// timeouts. The controller fences it and moves its leaderships; on SIGCONT it finds itself fenced,
// truncates to the new leaders and rejoins. Nothing acknowledged may be lost or doubled.
it('loses and doubles nothing when a broker is frozen past the session timeouts', async () => {
  const result = await runScenario('broker-pause', {
    fault: async ({ cluster, topics, mark, sleep }) => {
      const leader = await cluster.leaderOf(topics.consentLog, 0);
      await cluster.pause(leader);
      mark(`paused node ${leader}`);
      await sleep(20_000);
      await cluster.resume(leader);
      mark(`resumed node ${leader}`);
    },
  });
  expect(result.invariants.filter((i) => !i.pass)).toEqual([]);
  expect(result.accepted).toBeGreaterThan(0);
});
