import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ConsentGuard } from '@lethe/guard';
import type { OptOutNotice } from '@lethe/contracts';
import type { SendJob } from './jobs';
import { NewsletterMetrics } from './metrics';
import { NEWSLETTER_PURPOSE } from './names';

/**
 * "Sends" an issue (a log line: this is a demo) and follows restrictions as they arrive. Logs
 * name subject ids (opaque) and issue numbers only, never an address.
 */
@Injectable()
export class NewsletterSender implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('newsletter');
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly guard: ConsentGuard,
    private readonly metrics: NewsletterMetrics,
  ) {}

  send(job: SendJob): void {
    this.metrics.sent.inc();
    this.logger.log(`sent issue ${job.issue} to ${job.subjectId}`);
  }

  onModuleInit(): void {
    this.unsubscribe = this.guard.onRestricted((notice) => {
      if (!restricts(notice, NEWSLETTER_PURPOSE)) return;
      // Jobs already queued for the subject are skipped as they come up (@RequiresConsent).
      const what = notice.all ? 'everything' : [...notice.purposes, ...notice.opt_outs].join(', ');
      this.logger.log(`restricted ${notice.subject_id} (${notice.cause} ${what}, log p${notice.log_partition}@${notice.log_offset}): dropping queued work`);
    });
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}

function restricts(notice: OptOutNotice, purpose: string): boolean {
  return notice.all || notice.purposes.includes(purpose);
}
