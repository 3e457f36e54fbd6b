export * from './batch-folder';
export * from './erasure-events';
export * from './opt-out-notices';
export * from './projection-store';
export * from './projection-tables';
export * from './slice-transaction';
export * from './state-view';
export * from './store-refusal';
