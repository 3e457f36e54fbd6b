import type { AppName } from '../lethe';
import { runScenario } from '../scenario';

// Each of Lethe's processes dies without warning (SIGKILL) in the middle of its work while the
// workload runs on, and is started again five seconds later, as a supervisor would. consent-api
// loses the requests in flight (the clients retry with their Idempotency-Key); the projector its
// uncommitted batch (its offsets live in the same transaction as the states, so it resumes where
// the last commit left it); the erasure worker its steps in flight (an offset passes a step only
// once its acknowledgement is on the log, so those steps run again, idempotently). Nothing
// accepted may be lost or doubled, and every erasure must still complete with its data gone.
const apps: [AppName, string][] = [
  ['consent-api', 'api-kill'],
  ['projector', 'projector-kill'],
  ['erasure-worker', 'worker-kill'],
];

describe.each(apps)('%s SIGKILLed mid-work', (app, scenario) => {
  it('loses and doubles nothing, and every erasure completes', async () => {
    const result = await runScenario(scenario, {
      fault: async ({ lethe, mark, sleep }) => {
        await lethe.kill(app);
        mark(`${app} killed`);
        await sleep(5_000);
        lethe.startApp(app);
        await lethe.ready();
        mark(`${app} serves again`);
      },
    });
    expect(result.invariants.filter((i) => !i.pass)).toEqual([]);
    expect(result.accepted).toBeGreaterThan(0);
  });
});
