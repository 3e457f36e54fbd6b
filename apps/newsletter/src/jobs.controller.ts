import { Controller, Logger, Type } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { RequiresConsent, SkippedMessage } from '@lethe/guard/nest';
import type { SendJob } from './jobs';
import { NEWSLETTER_PURPOSE } from './names';
import { NewsletterSender } from './sender';

const logger = new Logger('newsletter');

/** The issue number of a job, only when it is one (a malformed payload is never quoted). */
function issueOf(data: unknown): string {
  const issue = (data as { issue?: unknown } | null)?.issue;
  return Number.isInteger(issue) ? String(issue) : '(none)';
}

function logSkip({ subjectId, decision, data }: SkippedMessage): void {
  if (subjectId === null || decision === null) {
    logger.warn(`skipped issue ${issueOf(data)}: the job names no subject`);
    return;
  }
  const state = decision.version === null ? 'no state' : `state v${decision.version}`;
  logger.log(`skipped issue ${issueOf(data)} for ${subjectId}: ${NEWSLETTER_PURPOSE} ${decision.reason.replace('_', ' ')} (${state})`);
}

/**
 * The consumer of the jobs topic. The pattern is the topic's name, known once the configuration
 * (LETHE_TOPIC_PREFIX) is read, so the controller is made for it.
 */
export function jobsControllerFor(jobsTopic: string): Type<unknown> {
  @Controller()
  class JobsController {
    constructor(private readonly sender: NewsletterSender) {}

    @EventPattern(jobsTopic)
    @RequiresConsent(NEWSLETTER_PURPOSE, { subjectFrom: 'subjectId', onSkipped: logSkip })
    send(@Payload() job: SendJob, @Ctx() context: KafkaContext): void {
      if (!Number.isInteger(job.issue)) {
        logger.warn(`skipped a malformed job at ${context.getTopic()} p${context.getPartition()}@${context.getMessage().offset}`);
        return;
      }
      this.sender.send(job);
    }
  }
  return JobsController;
}
