import { BadRequestException, Body, Controller, Get, Header, HttpCode, Inject, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ACKS_ALL } from '@lethe/kafka';
import { ConsentGuard } from '@lethe/guard';
import { InvalidIssueRequest, jobsFromRequest } from './jobs';
import { NewsletterMetrics } from './metrics';
import { NEWSLETTER_RUNTIME } from './tokens';
import type { NewsletterRuntime } from './runtime';

@Controller()
export class IssuesController {
  constructor(
    @Inject(NEWSLETTER_RUNTIME) private readonly runtime: NewsletterRuntime,
    private readonly guard: ConsentGuard,
    private readonly metrics: NewsletterMetrics,
  ) {}

  /** Queues one send job per subject; who actually gets it is decided when the job runs. */
  @Post('v1/newsletter/issues')
  @HttpCode(202)
  async enqueue(@Body() body: unknown) {
    let jobs;
    try {
      jobs = jobsFromRequest(body);
    } catch (error) {
      if (error instanceof InvalidIssueRequest) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: error.message, field: error.field });
      throw error;
    }
    await this.runtime.producer.send({
      topic: this.runtime.names.jobsTopic,
      acks: ACKS_ALL,
      messages: jobs.map((job) => ({ key: job.subjectId, value: JSON.stringify(job) })),
    });
    return { status: 'queued', jobs: jobs.length };
  }

  /** Ready once the guard has caught up with consent.state and has confirmed it recently. */
  @Get('health')
  health(@Res({ passthrough: true }) reply: FastifyReply) {
    const stalenessMs = this.guard.stalenessMs();
    const ready = this.guard.isReady && stalenessMs <= this.runtime.config.guardMaxStalenessMs;
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', guard: { ready: this.guard.isReady, stalenessMs } };
  }

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
