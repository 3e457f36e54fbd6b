import type { Logger } from 'kafkajs';
import { compileDecisions, ConsentState, OptOutNotice, TopicNames, topicsFor } from '@lethe/contracts';
import { ConsentFeed } from './consent-feed';
import { answer, ConsentDecision } from './decision';
import { FreshnessClock } from './freshness-clock';
import { GuardMetrics } from './guard-metrics';
import { Listeners, NoticeListener } from './listeners';
import { ConsentGuardOptions, ResolvedOptions, resolveOptions } from './options';
import { Progress, Watermarks } from './progress';
import { SubjectStore } from './subject-store';
import { WatermarkWatch } from './watermark-watch';

/** How often the guard asks for the high watermarks to confirm it is caught up. */
const CHECK_INTERVAL_MS = 1_000;
const DEFAULT_READY_TIMEOUT_MS = 120_000;

type Phase = 'created' | 'starting' | 'running' | 'stopped';

/**
 * A service's local copy of what Lethe decided: every subject's decisions from consent.state,
 * restrictions from consent.opt-outs as soon as they are published, answered synchronously from
 * memory (decisionFor's rule, compiled per state). See libs/guard/README.md.
 */
export class ConsentGuard {
  private readonly options: ResolvedOptions;
  private readonly topics: TopicNames;
  private readonly store = new SubjectStore();
  private readonly progress = new Progress();
  private readonly listeners = new Listeners();
  private readonly metrics: GuardMetrics;
  private readonly log: Logger;
  private readonly feed: ConsentFeed;
  private readonly watch: WatermarkWatch;
  private phase: Phase = 'created';
  private clock = new FreshnessClock(Date.now(), 2 * CHECK_INTERVAL_MS);
  private startTargets: Watermarks | null = null;
  private pendingTarget: Watermarks | null = null;
  private caughtUp = false;
  private readonly readiness: Deferred = deferred();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private unreachable = false;

  static create(options: ConsentGuardOptions): ConsentGuard {
    return new ConsentGuard(options);
  }

  private constructor(options: ConsentGuardOptions) {
    this.options = resolveOptions(options);
    const { kafka, topicPrefix, service } = this.options;
    this.topics = topicsFor(topicPrefix);
    this.log = kafka.logger().namespace(`ConsentGuard:${service}`);
    this.metrics = new GuardMetrics(this.options.metrics, service, { stalenessMs: () => this.stalenessMs(), subjects: () => this.store.size });
    this.feed = new ConsentFeed(kafka, this.options.schemaRegistryUrl, this.topics, `${topicPrefix}lethe.guard.${service}`, this.progress, {
      state: (subjectId, state) => this.applyState(subjectId, state),
      notice: (notice) => this.applyNotice(notice),
      undecodable: (topic) => this.metrics.countUndecodable(topic),
      progressed: () => this.checkProgress(),
    }, this.log);
    this.watch = new WatermarkWatch(kafka, [this.topics.consentState, this.topics.optOuts]);
  }

  /** Connects and begins consuming both topics from the beginning; does not wait until caught up (see `ready`). */
  async start(): Promise<void> {
    if (this.phase !== 'created') throw new Error(`ConsentGuard.start: already ${this.phase}`);
    this.phase = 'starting';
    this.clock = new FreshnessClock(Date.now(), 2 * CHECK_INTERVAL_MS);
    try {
      this.startTargets = await this.watch.fetch(Math.max(10_000, this.options.maxStalenessMs));
    } catch (error) {
      this.phase = 'created';
      throw new Error(`ConsentGuard.start: cannot read the high watermarks of ${this.topicList()} (do they exist, and is the topic prefix '${this.options.topicPrefix}' right?): ${(error as Error).message}`);
    }
    await this.feed.start();
    this.phase = 'running';
    this.checkProgress(); // empty topics: ready at once
    this.timer = setInterval(() => void this.checkFreshness(), CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** Resolves once caught up to the high watermarks both topics had at start; rejects on timeout, saying how far it got. */
  async ready(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.caughtUp) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`ConsentGuard not ready after ${timeoutMs} ms: ${this.howFar()}`)), timeoutMs);
    });
    try {
      await Promise.race([this.readiness.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get isReady(): boolean {
    return this.caughtUp;
  }

  /** Whether `subjectId` may be processed for `purpose` (a consent purpose or an opt-out kind), from memory. */
  allowed(subjectId: string, purpose: string): ConsentDecision {
    return this.counted(purpose, this.decide(subjectId, purpose));
  }

  isAllowed(subjectId: string, purpose: string): boolean {
    return this.allowed(subjectId, purpose).allowed;
  }

  /** Called once per (subject, version) for each RESTRICTED notice, also for those read while catching up. */
  onRestricted(listener: NoticeListener): () => void {
    return this.listeners.add('RESTRICTED', listener);
  }

  /** Called once per (subject, version) for each ALLOWED notice, also for those read while catching up. */
  onAllowed(listener: NoticeListener): () => void {
    return this.listeners.add('ALLOWED', listener);
  }

  /** Milliseconds since the guard last confirmed it held everything up to the high watermarks; 0 when fresh. */
  stalenessMs(): number {
    return this.clock.stalenessMs(Date.now());
  }

  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    clearInterval(this.timer);
    this.readiness.reject(new Error('ConsentGuard stopped before it was ready'));
    this.metrics.close();
    await Promise.allSettled([this.feed.stop(), this.watch.stop()]);
  }

  /**
   * For integrations that must not decide before the guard knows (guardedEachMessage, the NestJS
   * interceptor): the decision once ready and not stale, waiting meanwhile. `keepAlive` runs
   * while waiting (a consumer's heartbeat). Rejects if the guard stops. The decision it returns
   * is counted in lethe_guard_decisions_total, as one from `allowed` is.
   */
  async decisionWhenKnown(subjectId: string, purpose: string, keepAlive: () => Promise<void> = async () => undefined): Promise<ConsentDecision> {
    for (;;) {
      if (this.phase === 'stopped') throw new Error('ConsentGuard stopped: no decision');
      const decision = this.decide(subjectId, purpose);
      if (this.caughtUp && !decision.stale) return this.counted(purpose, decision);
      await new Promise((done) => setTimeout(done, 100));
      await keepAlive();
    }
  }

  /** Counts a message skipped for `purpose` in lethe_guard_skipped_messages_total (for integrations). */
  countSkipped(purpose: string): void {
    this.metrics.countSkipped(purpose);
  }

  private counted(purpose: string, decision: ConsentDecision): ConsentDecision {
    const tally = this.metrics.decisionTally(purpose);
    if (decision.allowed) tally.allowed++;
    else tally.restricted++;
    return decision;
  }

  private decide(subjectId: string, purpose: string): ConsentDecision {
    const stale = this.stalenessMs() > this.options.maxStalenessMs;
    return answer(this.store.lookup(subjectId, purpose), this.options, this.caughtUp, stale);
  }

  private applyState(subjectId: string, state: ConsentState | null): void {
    if (state === null) this.store.remove(subjectId);
    else this.store.applyState(subjectId, compileDecisions(state));
  }

  private applyNotice(notice: OptOutNotice): void {
    if (this.store.applyNotice(notice)) this.listeners.fire(notice, this.log);
  }

  /** After each batch: ready once the start targets are reached; fresh once the latest check's watermarks are. */
  private checkProgress(): void {
    if (!this.caughtUp && this.startTargets && this.progress.reached(this.startTargets)) {
      this.caughtUp = true;
      this.clock.confirm(this.startTargets.fetchedAt);
      this.readiness.resolve();
    }
    if (this.pendingTarget && this.progress.reached(this.pendingTarget)) {
      this.clock.confirm(this.pendingTarget.fetchedAt);
      this.pendingTarget = null;
    }
  }

  /** The periodic check; never throws (a broker down shows as growing staleness, logged once). */
  private async checkFreshness(): Promise<void> {
    if (this.checking || this.phase !== 'running') return;
    this.checking = true;
    try {
      const target = await this.watch.fetch(Math.max(CHECK_INTERVAL_MS, Math.min(5_000, this.options.maxStalenessMs)));
      if (this.unreachable) this.log.info(`high watermarks of ${this.topicList()} readable again; confirming freshness`);
      this.unreachable = false;
      this.pendingTarget = target;
      this.checkProgress();
    } catch (error) {
      if (this.phase !== 'running') return; // stopped meanwhile: the admin client was disconnected
      if (!this.unreachable) {
        this.log.warn(`cannot confirm the guard is caught up (${(error as Error).message}); answers turn stale ${this.options.maxStalenessMs} ms after the last confirmation`);
      }
      this.unreachable = true;
    } finally {
      this.checking = false;
      this.metrics.refresh();
    }
  }

  private howFar(): string {
    if (this.phase === 'created') return `start() has not been called (or failed); nothing consumed of ${this.topicList()}`;
    if (this.phase === 'stopped') return 'the guard was stopped';
    if (!this.startTargets) return `still reading the high watermarks of ${this.topicList()}`;
    return this.progress.describe(this.startTargets);
  }

  private topicList(): string {
    return `${this.topics.consentState} and ${this.topics.optOuts}`;
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((yes, no) => ((resolve = yes), (reject = no)));
  promise.catch(() => undefined); // rejected only on stop; callers of ready() still see it
  return { promise, resolve, reject };
}
