import { DynamicModule, FactoryProvider, Global, Inject, Module, ModuleMetadata, BeforeApplicationShutdown, OnModuleInit, Provider } from '@nestjs/common';
import { ConsentGuard, ConsentGuardOptions } from './core';

export interface ConsentGuardModuleOptions extends ConsentGuardOptions {
  /** Hold the application's start-up until the guard has caught up (default true). */
  waitUntilReady?: boolean;
  /** How long start-up waits for that, in ms (default: the guard's own `ready()` default). */
  readyTimeoutMs?: number;
}

/** Options made by a factory, from other providers (a config service): the usual Nest shape. */
export interface ConsentGuardModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: FactoryProvider['inject'];
  useFactory: FactoryProvider<ConsentGuardModuleOptions | Promise<ConsentGuardModuleOptions>>['useFactory'];
}

export const CONSENT_GUARD_OPTIONS = Symbol('ConsentGuardModuleOptions');

const providers: Provider[] = [
  { provide: ConsentGuard, inject: [CONSENT_GUARD_OPTIONS], useFactory: (options: ConsentGuardModuleOptions) => ConsentGuard.create(options) },
];

/**
 * One ConsentGuard for the whole application (a global module): started when the module
 * initialises, so handlers never run before it follows consent.state, and stopped on shutdown
 * (app.close(), or a signal with enableShutdownHooks), before the application's transports close.
 */
@Global()
@Module({})
export class ConsentGuardModule implements OnModuleInit, BeforeApplicationShutdown {
  constructor(
    private readonly guard: ConsentGuard,
    @Inject(CONSENT_GUARD_OPTIONS) private readonly options: ConsentGuardModuleOptions,
  ) {}

  static forRoot(options: ConsentGuardModuleOptions): DynamicModule {
    return ConsentGuardModule.withOptions({ provide: CONSENT_GUARD_OPTIONS, useValue: options });
  }

  static forRootAsync({ imports = [], inject = [], useFactory }: ConsentGuardModuleAsyncOptions): DynamicModule {
    return { ...ConsentGuardModule.withOptions({ provide: CONSENT_GUARD_OPTIONS, inject, useFactory }), imports };
  }

  private static withOptions(options: Provider): DynamicModule {
    return { module: ConsentGuardModule, global: true, providers: [options, ...providers], exports: [ConsentGuard, CONSENT_GUARD_OPTIONS] };
  }

  async onModuleInit(): Promise<void> {
    await this.guard.start();
    if (this.options.waitUntilReady ?? true) await this.guard.ready(this.options.readyTimeoutMs);
  }

  /**
   * Before the transports close: a message waiting for the guard to know (decisionWhenKnown)
   * fails instead, is not committed and comes again after a restart, so closing never hangs.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.guard.stop();
  }
}
