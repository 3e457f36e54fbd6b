export * from './connector';
export * from './backoff';
export * from './systems-file';
export * from './sql';
export * from './cache';
export * from './kafka';
export * from './http';
