export * from './data-source';
export * from './pg-client';
export * from './outstanding-steps';
export * from './system-steps';
