/**
 * When the guard last confirmed it had consumed everything up to the high watermarks, and what
 * that makes its staleness. A confirmation counts from when the watermarks were asked for, not
 * from when the consumer reached them: the guard held all that existed at that moment. Pure;
 * the caller passes the time.
 */
export class FreshnessClock {
  private confirmedAt: number | null = null;

  /**
   * @param startedAt until the first confirmation, staleness counts from here
   * @param freshWindowMs a confirmation this recent reads as fresh (0); a bit more than the check interval
   */
  constructor(
    private readonly startedAt: number,
    private readonly freshWindowMs: number,
  ) {}

  confirm(fetchedAt: number): void {
    if (this.confirmedAt === null || fetchedAt > this.confirmedAt) this.confirmedAt = fetchedAt;
  }

  /** 0 while confirmations keep coming, else the time since the last one (or since start). */
  stalenessMs(now: number): number {
    const since = this.confirmedAt ?? this.startedAt;
    const age = Math.max(0, now - since);
    return this.confirmedAt !== null && age <= this.freshWindowMs ? 0 : age;
  }
}
