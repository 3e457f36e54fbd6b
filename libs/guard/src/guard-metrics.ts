import { Counter, Gauge, type Metric, register as globalRegister, Registry } from 'prom-client';

export interface MetricSources {
  stalenessMs(): number;
  subjects(): number;
}

/** Decisions of one purpose, counted as plain numbers: `allowed()` must stay far below a microsecond. */
export interface DecisionTally {
  allowed: number;
  restricted: number;
}

interface Tally extends DecisionTally {
  reportedAllowed: number;
  reportedRestricted: number;
}

/** The guards (of this copy of the library) reporting into each metric it created, refreshed when it is collected. */
const reporters = new WeakMap<Metric, Set<GuardMetrics>>();

/**
 * The guard's metrics, labelled by service. Several guards in one process share each metric
 * (found by name in the registry), each writing its own labels. Decisions are tallied locally
 * and added to the counter when the registry is collected, and on the guard's periodic check.
 */
export class GuardMetrics {
  private readonly decisions: Counter<'service' | 'purpose' | 'outcome'>;
  private readonly skipped: Counter<'service' | 'purpose'>;
  private readonly undecodable: Counter<'service' | 'topic'>;
  private readonly staleness: Gauge<'service'>;
  private readonly subjects: Gauge<'service'>;
  private readonly tallies = new Map<string, Tally>();
  private readonly metrics: Metric[];

  constructor(
    registry: Registry | false | undefined,
    private readonly service: string,
    private readonly sources: MetricSources,
  ) {
    const target = registry === false ? new Registry() : (registry ?? globalRegister);
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
      shared(target, name, (collect) => new Counter({ name, help, labelNames, registers: [target], collect }));
    const gauge = (name: string, help: string) =>
      shared(target, name, (collect) => new Gauge({ name, help, labelNames: ['service'], registers: [target], collect }));
    this.decisions = counter('lethe_guard_decisions_total', 'Answers of the consent guard, by purpose and outcome (allowed or restricted)', ['service', 'purpose', 'outcome']);
    this.skipped = counter('lethe_guard_skipped_messages_total', 'Messages a guarded consumer skipped because the subject is restricted for the purpose', ['service', 'purpose']);
    this.undecodable = counter('lethe_guard_undecodable_records_total', 'Records of consent.state or consent.opt-outs that could not be decoded and were skipped', ['service', 'topic']);
    this.staleness = gauge('lethe_guard_staleness_seconds', 'Seconds since the guard last confirmed it was caught up (0 when fresh)');
    this.subjects = gauge('lethe_guard_subjects', 'Subjects the guard holds in memory');
    this.metrics = [this.decisions, this.skipped, this.undecodable, this.staleness, this.subjects];
    for (const metric of this.metrics) reporters.get(metric)?.add(this);
  }

  /** The tally `allowed()` increments for a purpose; the same object every time. */
  decisionTally(purpose: string): DecisionTally {
    let tally = this.tallies.get(purpose);
    if (!tally) {
      tally = { allowed: 0, restricted: 0, reportedAllowed: 0, reportedRestricted: 0 };
      this.tallies.set(purpose, tally);
    }
    return tally;
  }

  countSkipped(purpose: string): void {
    this.skipped.inc({ service: this.service, purpose });
  }

  countUndecodable(topic: string): void {
    this.undecodable.inc({ service: this.service, topic });
  }

  /** Adds the decisions tallied since the last refresh and sets the gauges. */
  refresh(): void {
    for (const [purpose, tally] of this.tallies) {
      if (tally.allowed > tally.reportedAllowed) {
        this.decisions.inc({ service: this.service, purpose, outcome: 'allowed' }, tally.allowed - tally.reportedAllowed);
        tally.reportedAllowed = tally.allowed;
      }
      if (tally.restricted > tally.reportedRestricted) {
        this.decisions.inc({ service: this.service, purpose, outcome: 'restricted' }, tally.restricted - tally.reportedRestricted);
        tally.reportedRestricted = tally.restricted;
      }
    }
    this.staleness.set({ service: this.service }, this.sources.stalenessMs() / 1000);
    this.subjects.set({ service: this.service }, this.sources.subjects());
  }

  /** Reports what is left and stops reporting (the values stay as last set). */
  close(): void {
    this.refresh();
    for (const metric of this.metrics) reporters.get(metric)?.delete(this);
  }
}

/** The registry's metric of that name, or a new one whose collection refreshes every guard reporting into it. */
function shared<M extends Metric>(registry: Registry, name: string, create: (collect: () => void) => M): M {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as M;
  const guards = new Set<GuardMetrics>();
  const metric = create(() => {
    for (const guard of guards) guard.refresh();
  });
  reporters.set(metric, guards);
  return metric;
}
