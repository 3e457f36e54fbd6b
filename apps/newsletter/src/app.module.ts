import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ConsentGuardModule } from '@lethe/guard/nest';
import { IssuesController } from './issues.controller';
import { jobsControllerFor } from './jobs.controller';
import { NewsletterMetrics } from './metrics';
import type { NewsletterRuntime } from './runtime';
import { NewsletterSender } from './sender';
import { NEWSLETTER_RUNTIME } from './tokens';
import { FixedMessageErrors } from './errors';

@Module({})
export class NewsletterModule {
  static forRuntime(runtime: NewsletterRuntime): DynamicModule {
    const { config } = runtime;
    return {
      module: NewsletterModule,
      imports: [
        ConsentGuardModule.forRoot({
          kafka: runtime.kafka,
          schemaRegistryUrl: config.endpoints.schemaRegistryUrl,
          topicPrefix: config.topicPrefix,
          service: 'newsletter',
          maxStalenessMs: config.guardMaxStalenessMs,
          metrics: runtime.metrics.registry,
          readyTimeoutMs: config.startupTimeoutMs,
        }),
      ],
      controllers: [IssuesController, jobsControllerFor(runtime.names.jobsTopic)],
      providers: [
        { provide: NEWSLETTER_RUNTIME, useValue: runtime },
        { provide: NewsletterMetrics, useValue: runtime.metrics },
        { provide: APP_FILTER, useClass: FixedMessageErrors },
        NewsletterSender,
      ],
    };
  }
}
