export * from './consent-guard.module';
export * from './consent-http.guard';
export * from './consent-rpc.interceptor';
export * from './requirement';
export * from './requires-consent.decorator';
export * from './subject';
