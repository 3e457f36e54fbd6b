export * from './endpoints';
export * from './env';
