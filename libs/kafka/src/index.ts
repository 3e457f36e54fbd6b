export * from './client';
export * from './dead-letter';
export * from './topics';
