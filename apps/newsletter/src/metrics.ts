import { Counter, Registry } from 'prom-client';

/** The newsletter's Prometheus registry: the guard's metrics and its own. */
export class NewsletterMetrics {
  readonly registry = new Registry();

  readonly sent = new Counter({ name: 'newsletter_sent_total', help: 'Issues sent, one per subject', registers: [this.registry] });
}
