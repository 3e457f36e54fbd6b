export * from './cipher';
export * from './key-store';
