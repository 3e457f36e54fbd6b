import { Logger } from '@nestjs/common';
import type { Admin } from 'kafkajs';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { safeErrorSummary } from '@lethe/config';
import { groupPosition } from '@lethe/kafka';
import { systemSteps } from '@lethe/persistence';

/** A scrape reads each gauge's value from one snapshot, taken at most this often. */
const SNAPSHOT_MS = 1_000;

type Figure = 'lag' | 'caughtUp' | 'open' | 'retrying' | 'parked' | 'oldestOpenSeconds';

const GAUGES: Record<Figure, { name: string; help: string }> = {
  lag: { name: 'lethe_system_consumer_lag', help: "Records of consent.log the system's consumer group has not read yet" },
  caughtUp: { name: 'lethe_system_caught_up_ratio', help: 'Share of consent.log the system has read, 0 to 1 (lethe systems status: caught up)' },
  open: { name: 'lethe_system_open_steps', help: 'Erasure steps of the system not completed yet, in the projection' },
  retrying: { name: 'lethe_system_retrying_steps', help: "Steps of the system scheduled for a retry or awaiting a processor's confirmation" },
  parked: { name: 'lethe_system_parked_steps', help: "Steps of the system that failed for good, waiting for an operator's retry" },
  oldestOpenSeconds: { name: 'lethe_system_oldest_open_step_age_seconds', help: "Age of the oldest open step's request, seconds (0 when none is open)" },
};

export interface GaugedSystem {
  system: string;
  groupId: string;
}

/**
 * lethe_system_*{system}: the figures of `lethe systems status` for the systems this worker runs,
 * read when scraped (so every instance reports its group's position). An outage of Kafka or
 * PostgreSQL leaves the series absent until they answer.
 */
export function exposeSystemGauges(admin: Admin, db: DataSource, topic: string, systems: GaugedSystem[]): Gauge[] {
  const logger = new Logger('erasure-worker');
  let snapshot: { at: number; figures: Promise<Map<string, Record<Figure, number>>> } | undefined;
  const figures = () => {
    if (!snapshot || Date.now() - snapshot.at >= SNAPSHOT_MS) snapshot = { at: Date.now(), figures: read() };
    return snapshot.figures;
  };
  const read = async () => {
    const now = Date.now();
    const rows = await Promise.all(
      systems.map(async ({ system, groupId }) => {
        const [position, steps] = await Promise.all([groupPosition(admin, groupId, topic), systemSteps(db, system)]);
        const oldestOpenSeconds = steps.oldestOpenSince ? Math.max(0, (now - steps.oldestOpenSince.getTime()) / 1000) : 0;
        return [system, { lag: Number(position.lag), caughtUp: position.caughtUp, open: steps.open, retrying: steps.retrying, parked: steps.parked, oldestOpenSeconds }] as const;
      }),
    );
    return new Map(rows);
  };
  return (Object.keys(GAUGES) as Figure[]).map(
    (figure) =>
      new Gauge({
        ...GAUGES[figure],
        labelNames: ['system'] as const,
        async collect() {
          this.reset();
          try {
            for (const [system, values] of await figures()) this.set({ system }, values[figure]);
          } catch (error) {
            logger.warn(`${GAUGES[figure].name} unavailable: ${safeErrorSummary(error)}`);
          }
        },
      }),
  );
}
