export * from './data-source';
export * from './outstanding-steps';
export * from './system-steps';
