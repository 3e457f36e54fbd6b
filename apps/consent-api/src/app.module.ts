import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { Admin, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { ConsentEventCodec } from '@lethe/contracts';
import { KeyStore } from '@lethe/identity-vault';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyStore } from './auth/api-keys';
import { RateLimits } from './auth/rate-limits';
import { CertificateController } from './certificates/certificate.controller';
import type { ApiConfig } from './config';
import { IdempotencyStore, idempotencyLeaseMs } from './idempotency/idempotency-store';
import { ErasureGauges } from './operations/erasure-gauges';
import { ErasureOperationsController } from './operations/erasure-operations.controller';
import { Admission } from './platform/admission';
import { AdmissionGuard } from './platform/admission.guard';
import { LoopDelay } from './platform/loop-delay';
import { EVENT_CODEC, EVENT_PRODUCER, EventLog } from './platform/event-log';
import { HealthController, KAFKA_ADMIN } from './platform/health.controller';
import { HttpErrorFilter } from './platform/http-errors';
import { Metrics } from './platform/metrics';
import { API_CONFIG, DATABASE, KEY_STORE } from './platform/tokens';
import { ProcessorCallbackController } from './processors/processor-callback.controller';
import { ProcessorRegistry } from './processors/processor-registry';
import { ProcessorSignatureGuard } from './processors/processor-signature.guard';
import { ReadsController } from './reads/reads.controller';
import { ConsentController } from './writes/consent.controller';
import { ConsentWriter } from './writes/consent-writer';
import { GpcController } from './writes/gpc.controller';

/** What main.ts connects before the app starts; tests build the same from the test stack. */
export interface ApiRuntime {
  config: ApiConfig;
  db: DataSource;
  producer: Producer;
  admin: Admin;
  codec: ConsentEventCodec;
  keyStore: KeyStore;
}

/** While the event log fails, how often one write tries it again (docs/adr/0023). */
const BROKER_PROBE_INTERVAL_MS = 1_000;

@Module({})
export class ApiModule {
  static forRuntime(runtime: ApiRuntime): DynamicModule {
    return {
      module: ApiModule,
      controllers: [ConsentController, GpcController, ReadsController, HealthController, CertificateController, ErasureOperationsController, ProcessorCallbackController],
      providers: [
        { provide: API_CONFIG, useValue: runtime.config },
        { provide: DATABASE, useValue: runtime.db },
        { provide: EVENT_PRODUCER, useValue: runtime.producer },
        { provide: KAFKA_ADMIN, useValue: runtime.admin },
        { provide: EVENT_CODEC, useValue: runtime.codec },
        { provide: KEY_STORE, useValue: runtime.keyStore },
        { provide: ApiKeyStore, useValue: new ApiKeyStore(runtime.db, runtime.config.apiKeyCacheMs) },
        { provide: RateLimits, useValue: new RateLimits({ perKeyPerMinute: runtime.config.rateLimitPerMinute, authFailuresPerMinute: runtime.config.authFailuresPerMinute }) },
        { provide: IdempotencyStore, useValue: new IdempotencyStore(runtime.db, idempotencyLeaseMs(runtime.config), runtime.config.masterKey) },
        // In this order: a write is admitted only once its key is known (platform/admission.guard.ts).
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: AdmissionGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        LoopDelay,
        {
          provide: Admission,
          inject: [LoopDelay],
          useFactory: (loop: LoopDelay) =>
            new Admission({ maxPending: runtime.config.maxPendingWrites, probeIntervalMs: BROKER_PROBE_INTERVAL_MS, maxLoopDelayMs: runtime.config.maxLoopDelayMs }, Date.now, loop.current),
        },
        { provide: ProcessorRegistry, useValue: ProcessorRegistry.fromSystems(runtime.config.systems) },
        ProcessorSignatureGuard,
        ConsentController,
        ConsentWriter,
        EventLog,
        Metrics,
        ErasureGauges,
      ],
    };
  }
}
