import fc from 'fast-check';
import { Admission, isRefusal, Refusal, Ticket } from './admission';

const ticket = (admitted: Ticket | Refusal): Ticket => {
  if (isRefusal(admitted)) throw new Error(`refused: ${admitted.refused}`);
  return admitted;
};

describe('Admission', () => {
  it('admits up to maxPending writes at once, refuses the next as overloaded, and admits again once one is answered', () => {
    const admission = new Admission({ maxPending: 2, probeIntervalMs: 1_000, maxLoopDelayMs: 100 });
    const [a, b] = [ticket(admission.admit()), ticket(admission.admit())];
    expect(admission.admit()).toEqual({ refused: 'overloaded', retryAfterSeconds: 1 });
    a.release();
    a.release(); // a second release of one ticket frees nothing more
    const c = ticket(admission.admit());
    expect(isRefusal(admission.admit())).toBe(true);
    b.release();
    c.release();
    expect(admission.inProgress).toBe(0);
  });

  it('refuses writes at once while the log fails, lets one probe through per interval, and reopens on an acknowledgement', () => {
    let now = 0;
    const admission = new Admission({ maxPending: 10, probeIntervalMs: 1_000, maxLoopDelayMs: 100 }, () => now);
    const inFlight = ticket(admission.admit());
    admission.logFailed();
    inFlight.release();
    expect(admission.admit()).toEqual({ refused: 'broker_unavailable', retryAfterSeconds: 5 });
    now = 999;
    expect(isRefusal(admission.admit())).toBe(true);

    now = 1_000;
    const probe = ticket(admission.admit());
    expect(admission.admit()).toEqual({ refused: 'broker_unavailable', retryAfterSeconds: 5 }); // one probe at a time
    admission.logFailed();
    probe.release();
    expect(isRefusal(admission.admit())).toBe(true); // the next probe waits for its interval

    now = 2_000;
    const second = ticket(admission.admit());
    admission.logAcknowledged();
    second.release();
    const writes = Array.from({ length: 10 }, () => admission.admit());
    expect(writes.filter(isRefusal)).toEqual([]);
    expect(admission.admit()).toEqual({ refused: 'overloaded', retryAfterSeconds: 1 });
  });

  it('gives the probe slot back when the probe ends without reaching the log', () => {
    let now = 0;
    const admission = new Admission({ maxPending: 10, probeIntervalMs: 1_000, maxLoopDelayMs: 100 }, () => now);
    admission.logFailed();
    now = 1_000;
    ticket(admission.admit()).release(); // refused by validation, say: the log was not asked
    expect(isRefusal(admission.admit())).toBe(true);
    now = 2_000;
    expect(isRefusal(admission.admit())).toBe(false);
  });

  it('refuses writes as overloaded while the event loop runs late, and admits them once it keeps up', () => {
    let delay = 101;
    const admission = new Admission({ maxPending: 10, probeIntervalMs: 1_000, maxLoopDelayMs: 100 }, Date.now, () => delay);
    expect(admission.admit()).toEqual({ refused: 'overloaded', retryAfterSeconds: 1 });
    expect(admission.inProgress).toBe(0);
    delay = 100;
    expect(isRefusal(admission.admit())).toBe(false);
  });

  it('refusalNow says what admit would refuse, in any sequence of writes, log failures and probes, and takes nothing', () => {
    type Step = { kind: 'admit' } | { kind: 'release'; which: number } | { kind: 'fail' } | { kind: 'ack' } | { kind: 'wait'; ms: number } | { kind: 'delay'; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant({ kind: 'admit' as const }),
      fc.nat(20).map((which) => ({ kind: 'release' as const, which })),
      fc.constant({ kind: 'fail' as const }),
      fc.constant({ kind: 'ack' as const }),
      fc.integer({ min: 0, max: 1_500 }).map((ms) => ({ kind: 'wait' as const, ms })),
      fc.integer({ min: 0, max: 200 }).map((ms) => ({ kind: 'delay' as const, ms })),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let [now, delay] = [0, 0];
        const admission = new Admission({ maxPending: 3, probeIntervalMs: 1_000, maxLoopDelayMs: 100 }, () => now, () => delay);
        const held: Ticket[] = [];
        for (const s of steps) {
          if (s.kind === 'admit') {
            const before = admission.inProgress;
            const peeked = admission.refusalNow();
            expect(admission.inProgress).toBe(before);
            const admitted = admission.admit();
            expect(isRefusal(admitted) ? admitted : null).toEqual(peeked);
            if (!isRefusal(admitted)) held.push(admitted);
          } else if (s.kind === 'release' && held.length > 0) held.splice(s.which % held.length, 1)[0].release();
          else if (s.kind === 'fail') admission.logFailed();
          else if (s.kind === 'ack') admission.logAcknowledged();
          else if (s.kind === 'wait') now += s.ms;
          else if (s.kind === 'delay') delay = s.ms;
        }
      }),
    );
  });
});
