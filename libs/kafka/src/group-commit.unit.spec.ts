import fc from 'fast-check';
import { Message } from 'kafkajs';
import { GroupCommit } from './group-commit';

/** A send whose requests the test answers one by one. */
function controlledSend() {
  const requests: { messages: Message[]; ack: () => void; fail: (error: Error) => void }[] = [];
  const send = (messages: Message[]) =>
    new Promise<void>((ack, fail) => {
      requests.push({ messages, ack, fail });
    });
  return { requests, send };
}

const msg = (key: string, value = 'v') => ({ key, value: Buffer.from(value) });
const keysOf = (messages: Message[]) => messages.map((m) => `${m.key}`);
const settled = () => new Promise((done) => setImmediate(done));

function track(promise: Promise<void>) {
  const state = { outcome: 'pending' as 'pending' | 'ok' | 'failed' };
  promise.then(
    () => (state.outcome = 'ok'),
    () => (state.outcome = 'failed'),
  );
  return state;
}

describe('GroupCommit', () => {
  it('sends at once when idle, and gathers what arrives meanwhile into the next request, in order', async () => {
    const { requests, send } = controlledSend();
    const commit = new GroupCommit(send);
    const first = track(commit.append([msg('a')]));
    const second = track(commit.append([msg('b'), msg('a')]));
    const third = track(commit.append([msg('c')]));
    await settled();
    expect(requests.map((r) => keysOf(r.messages))).toEqual([['a']]);

    requests[0].ack();
    await settled();
    expect([first.outcome, second.outcome, third.outcome]).toEqual(['ok', 'pending', 'pending']);
    expect(requests.map((r) => keysOf(r.messages))).toEqual([['a'], ['b', 'a', 'c']]);

    requests[1].ack();
    await settled();
    expect([second.outcome, third.outcome]).toEqual(['ok', 'ok']);
    expect(commit.waiting).toBe(0);
  });

  it('fails exactly the callers of a failed request, and goes on with the next', async () => {
    const { requests, send } = controlledSend();
    const commit = new GroupCommit(send);
    const first = track(commit.append([msg('a')]));
    await settled();
    const second = track(commit.append([msg('b')]));
    const third = track(commit.append([msg('c')]));
    requests[0].fail(new Error('not acknowledged'));
    await settled();
    expect([first.outcome, second.outcome, third.outcome]).toEqual(['failed', 'pending', 'pending']);
    const fourth = track(commit.append([msg('d')]));
    requests[1].fail(new Error('not acknowledged'));
    await settled();
    expect([second.outcome, third.outcome, fourth.outcome]).toEqual(['failed', 'failed', 'pending']);
    requests[2].ack();
    await settled();
    expect(fourth.outcome).toBe('ok');
    expect(requests.map((r) => keysOf(r.messages))).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('keeps a caller’s records in one request, starting a new request rather than splitting them', async () => {
    const { requests, send } = controlledSend();
    const commit = new GroupCommit(send, 300); // each message below counts 64 + 2 bytes
    void commit.append([msg('a')]);
    await settled();
    void commit.append([msg('b'), msg('b')]);
    void commit.append([msg('c'), msg('c'), msg('c')]);
    requests[0].ack();
    await settled();
    expect(keysOf(requests[1].messages)).toEqual(['b', 'b']);
    requests[1].ack();
    await settled();
    expect(keysOf(requests[2].messages)).toEqual(['c', 'c', 'c']);
  });

  it('sends a caller larger than one request in consecutive requests and answers after the last', async () => {
    const { requests, send } = controlledSend();
    const commit = new GroupCommit(send, 100); // one message (66 bytes) per request
    const big = track(commit.append([msg('a', '1'), msg('a', '2'), msg('a', '3')]));
    await settled();
    requests[0].ack();
    await settled();
    expect(big.outcome).toBe('pending');
    requests[1].ack();
    await settled();
    requests[2].ack();
    await settled();
    expect(big.outcome).toBe('ok');
    expect(requests.map((r) => r.messages.map((m) => `${m.value}`))).toEqual([['1'], ['2'], ['3']]);
  });

  it('puts every record on the log once, in the order its callers asked, whatever the timing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 3 }), fc.boolean()), { minLength: 1, maxLength: 30 }), async (calls) => {
        const sent: Message[] = [];
        const commit = new GroupCommit(async (messages) => {
          await settled();
          sent.push(...messages);
        }, 400);
        const asked: string[] = [];
        const appends: Promise<void>[] = [];
        for (const [subject, count, pause] of calls) {
          const messages = Array.from({ length: count }, (_, i) => msg(`s${subject}`, `${asked.length + i}`));
          asked.push(...messages.map((m) => `${m.value}`));
          appends.push(commit.append(messages));
          if (pause) await settled();
        }
        await Promise.all(appends);
        expect(sent.map((m) => `${m.value}`)).toEqual(asked);
      }),
    );
  });

  it('takes a caller that gives up out of the queue, so none of its records is sent', async () => {
    const { requests, send } = controlledSend();
    const commit = new GroupCommit(send);
    const first = track(commit.append([msg('a')]));
    await settled();
    const impatient = new AbortController();
    const gaveUp = commit.append([msg('b')], impatient.signal);
    const patient = track(commit.append([msg('c')]));
    impatient.abort(new Error('no acknowledgement in time'));
    await expect(gaveUp).rejects.toThrow('no acknowledgement in time');
    requests[0].ack();
    await settled();
    expect(first.outcome).toBe('ok');
    expect(requests.map((r) => keysOf(r.messages))).toEqual([['a'], ['c']]);
    requests[1].ack();
    await settled();
    expect(patient.outcome).toBe('ok');
  });

  it('stops the wait of a caller that gives up once sent, without failing the others of its request', async () => {
    const { requests, send } = controlledSend();
    const commit = new GroupCommit(send);
    const impatient = new AbortController();
    const gaveUp = commit.append([msg('a')], impatient.signal);
    await settled();
    impatient.abort(new Error('no acknowledgement in time'));
    await expect(gaveUp).rejects.toThrow('no acknowledgement in time');
    const next = track(commit.append([msg('b')]));
    requests[0].ack();
    await settled();
    requests[1].ack();
    await settled();
    expect(next.outcome).toBe('ok');
  });
});

