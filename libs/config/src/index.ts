export * from './endpoints';
export * from './env';
export * from './signing-key';
export * from './safe-error';
export * from './coalesce';
export * from './error-code';
export * from './database-outage';
