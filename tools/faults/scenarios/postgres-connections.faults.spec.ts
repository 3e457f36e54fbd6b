import { runScenario } from '../scenario';

// PostgreSQL goes away under Lethe for ten seconds: every connection of its apps and of the shop's
// connector is terminated, and terminated again every half second, so reconnecting fails too, as
// while a database restarts (the server is shared with other runs, so it is not restarted itself).
// Writes that need the database (API keys, idempotency, erasure claims) get a 5xx and are retried;
// the projector and the worker must retry their transactions, never skip a record or take the
// outage for a bad one (nothing dead-lettered), and resume once the database is back.
it('loses and doubles nothing when every PostgreSQL connection is cut for ten seconds', async () => {
  let terminated = 0;
  const result = await runScenario('postgres-connections', {
    fault: async ({ lethe, mark, sleep }) => {
      const until = Date.now() + 10_000;
      while (Date.now() < until) {
        terminated += await lethe.terminateConnections();
        await sleep(500);
      }
      mark('connections no longer cut');
      await lethe.ready();
      mark('Lethe serves again');
    },
  });
  expect(terminated).toBeGreaterThan(0);
  expect(result.invariants.filter((i) => !i.pass)).toEqual([]);
  expect(result.accepted).toBeGreaterThan(0);
});
