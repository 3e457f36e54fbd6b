export * from './cipher';
export * from './key-store';
export * from './key-lookup';
