/** Why a write was turned away before anything of it was done. */
export type ShedReason = 'overloaded' | 'broker_unavailable';

export interface Refusal {
  refused: ShedReason;
  retryAfterSeconds: number;
}

export interface Ticket {
  /** Call once the write is answered, whatever the answer. */
  release(): void;
}

export interface AdmissionLimits {
  /** Writes admitted and not yet answered, at most (LETHE_API_MAX_PENDING_APPENDS). */
  maxPending: number;
  /** While the event log is failing, one write at a time, at most this often, tries it again. */
  probeIntervalMs: number;
  /** Past this event-loop delay (ms, the last second's mean) the process is short of CPU: writes are refused (LETHE_API_MAX_LOOP_DELAY_MS). */
  maxLoopDelayMs: number;
}

/** What a refused client is told to wait: a moment when busy, longer when the log is down. */
export const RETRY_AFTER_SECONDS: Record<ShedReason, number> = { overloaded: 1, broker_unavailable: 5 };

/**
 * Admission control of the write path (docs/adr/0023), pure apart from the clock and the loop
 * delay it is given. A write is admitted only while fewer than `maxPending` are in progress and
 * the event loop keeps up (`maxLoopDelayMs`), so a flood queues nowhere, neither here nor unread
 * in the kernel: what the API cannot take now is answered 503 at once, before anything of it is
 * read or written.
 * Once the event log failed a write (no acknowledgement within the broker timeout, or an error),
 * writes are refused at once too, except one probe at a time, at most every `probeIntervalMs`,
 * whose acknowledgement lets every write in again: clients of a log that is down get 503 in
 * microseconds instead of each waiting out the broker timeout.
 */
export class Admission {
  private pending = 0;
  private logFailing = false;
  private probing = false;
  private nextProbeAt = 0;

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly now: () => number = Date.now,
    private readonly loopDelayMs: () => number = () => 0,
  ) {}

  /**
   * What `admit` would refuse now, without taking a place or a probe: the HTTP edge asks it of
   * every write as it arrives, so that under a flood a write is turned away before its body is
   * parsed or its key checked (the place itself is taken after both, so a slow upload holds none).
   */
  refusalNow(): Refusal | null {
    if (this.logFailing && (this.probing || this.now() < this.nextProbeAt)) return refusal('broker_unavailable');
    if (this.pending >= this.limits.maxPending || this.loopDelayMs() > this.limits.maxLoopDelayMs) return refusal('overloaded');
    return null;
  }

  admit(): Ticket | Refusal {
    const refused = this.refusalNow();
    if (refused) return refused;
    // Admitted while the log fails: this write is the probe.
    const probe = this.logFailing;
    if (probe) {
      this.probing = true;
      this.nextProbeAt = this.now() + this.limits.probeIntervalMs;
    }
    this.pending++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.pending--;
        if (probe) this.probing = false;
      },
    };
  }

  /** The event log did not take a write: refuse writes until a probe gets through. */
  logFailed(): void {
    if (!this.logFailing) this.nextProbeAt = this.now() + this.limits.probeIntervalMs;
    this.logFailing = true;
  }

  /** The event log acknowledged a write: it takes writes again. */
  logAcknowledged(): void {
    this.logFailing = false;
  }

  /** Writes in progress now, for metrics and tests. */
  get inProgress(): number {
    return this.pending;
  }
}

export function isRefusal(admitted: Ticket | Refusal): admitted is Refusal {
  return 'refused' in admitted;
}

function refusal(reason: ShedReason): Refusal {
  return { refused: reason, retryAfterSeconds: RETRY_AFTER_SECONDS[reason] };
}
