export * from './data-source';
export * from './outstanding-steps';
