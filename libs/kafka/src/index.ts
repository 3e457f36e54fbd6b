export * from './append';
export * from './client';
export * from './dead-letter';
export * from './send-in-chunks';
export * from './topics';
export * from './metrics';
