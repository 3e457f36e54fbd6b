import { runInLanes } from './lanes';

/** Resolves after the next turn of the event loop, so concurrent lanes get to interleave. */
const turn = () => new Promise<void>((done) => setImmediate(done));

describe('runInLanes', () => {
  it("keeps each key's items in order while different keys run at once", async () => {
    const items = ['a1', 'b1', 'a2', 'c1', 'b2', 'a3', 'c2', 'a4'];
    const started: string[] = [];
    const finished: string[] = [];
    let running = 0;
    let mostAtOnce = 0;
    await runInLanes(
      items,
      (item) => item[0],
      async (item) => {
        started.push(item);
        running += 1;
        mostAtOnce = Math.max(mostAtOnce, running);
        // a's items are slow: b and c must not wait for them, nor a2 overtake a1
        for (let i = 0; i < (item[0] === 'a' ? 3 : 1); i++) await turn();
        running -= 1;
        finished.push(item);
      },
    );
    for (const key of ['a', 'b', 'c']) expect(finished.filter((item) => item[0] === key)).toEqual(items.filter((item) => item[0] === key));
    expect(mostAtOnce).toBe(3);
    expect(finished.indexOf('c2')).toBeLessThan(finished.indexOf('a2'));
    expect(started).toHaveLength(items.length);
  });

  it("stops a lane at its failure, lets the other lanes finish, then rejects with it", async () => {
    const done: string[] = [];
    let settledBeforeReject = false;
    const running = runInLanes(
      ['a1', 'b1', 'a2', 'b2', 'b3'],
      (item) => item[0],
      async (item) => {
        await turn();
        if (item === 'a1') throw new Error('a1 failed');
        await turn();
        done.push(item);
        if (item === 'b3') settledBeforeReject = true;
      },
    );
    await expect(running).rejects.toThrow('a1 failed');
    expect(done).toEqual(['b1', 'b2', 'b3']); // a2 never ran: it may not overtake a failed a1
    expect(settledBeforeReject).toBe(true);
  });
});
