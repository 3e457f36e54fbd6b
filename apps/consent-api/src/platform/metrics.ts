import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the API. Labels are routes and event types, never subject ids. */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'lethe_api_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpRequestsReceived = new Counter({
    name: 'lethe_api_requests_received_total',
    help: 'HTTP requests that reached the API (their headers parsed, a malformed URL aside); less those answered or abandoned (lethe_api_request_seconds_count) is what it holds',
    registers: [this.registry],
  });

  readonly httpRequestSeconds = new Histogram({
    name: 'lethe_api_request_seconds',
    help: 'Time from a request reaching the API (its headers parsed) to its answer, by route and status class (2xx to 5xx), or to its client hanging up first (aborted): what the API itself kept a client waiting',
    labelNames: ['route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers: [this.registry],
  });

  readonly eventsWritten = new Counter({
    name: 'lethe_api_events_written_total',
    help: 'Events acknowledged by the broker, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly brokerWriteSeconds = new Histogram({
    name: 'lethe_api_broker_write_seconds',
    help: 'Time from encode to the broker acknowledging a write (acks=all)',
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly brokerWriteFailures = new Counter({
    name: 'lethe_api_broker_write_failures_total',
    help: 'Writes the broker did not acknowledge in time (answered 503)',
    registers: [this.registry],
  });

  readonly writesShed = new Counter({
    name: 'lethe_api_writes_shed_total',
    help: 'Writes answered 503 before anything of them was done: overloaded, or the event log failing',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lethe_api_' });
  }
}
