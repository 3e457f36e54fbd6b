export * from './audit-record';
export * from './chain';
export * from './checkpoint';
export * from './note';
export * from './verify-partition';
