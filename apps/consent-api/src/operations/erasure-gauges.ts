import { Inject, Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '../config';
import { Metrics } from '../platform/metrics';
import { API_CONFIG, DATABASE } from '../platform/tokens';
import { slaCutoff } from './erasure-overdue';
import { safeErrorSummary } from '@lethe/config';

interface Counts {
  open: number;
  deadline: number;
  sla: number;
}

/**
 * Open and overdue erasure requests, counted from PostgreSQL when /metrics is scraped, so the
 * numbers are never older than the projection. One aggregate over open requests only (the
 * partial index erasure_requests_open_due), shared by both gauges of a scrape. Labels are the
 * overdue reason, never a request or subject.
 */
@Injectable()
export class ErasureGauges {
  private readonly logger = new Logger('metrics');
  private inFlight: Promise<Counts | null> | null = null;

  constructor(
    metrics: Metrics,
    @Inject(DATABASE) private readonly db: DataSource,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {
    const open: Gauge = new Gauge({
      name: 'lethe_erasure_requests_open',
      help: 'Erasure requests not yet completed by every system',
      registers: [metrics.registry],
      collect: async () => {
        const counts = await this.counts();
        if (counts) open.set(counts.open);
        else open.reset();
      },
    });
    const overdue: Gauge<'reason'> = new Gauge({
      name: 'lethe_erasure_requests_overdue',
      help: 'Open erasure requests past their legal deadline (reason="deadline") or older than LETHE_ERASURE_SLA_HOURS (reason="sla"); one request may count under both',
      labelNames: ['reason'] as const,
      registers: [metrics.registry],
      collect: async () => {
        const counts = await this.counts();
        if (!counts) return overdue.reset();
        overdue.set({ reason: 'deadline' }, counts.deadline);
        overdue.set({ reason: 'sla' }, counts.sla);
      },
    });
  }

  /** The gauges of one scrape are collected together; they share this query. */
  private counts(): Promise<Counts | null> {
    this.inFlight ??= this.query().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async query(): Promise<Counts | null> {
    const now = Date.now();
    try {
      const [row] = await this.db.query(
        `select count(*)::int as open,
                count(*) filter (where due_at < $1)::int as deadline,
                count(*) filter (where requested_at < $2)::int as sla
           from erasure_requests
          where status = 'open' and requested`,
        [new Date(now), slaCutoff(now, this.config.erasureSlaHours)],
      );
      return row as Counts;
    } catch (error) {
      // Absent series say "unknown" on a dashboard; a stale number would say "fine".
      this.logger.warn(`erasure gauges not collected: ${safeErrorSummary(error)}`);
      return null;
    }
  }
}
