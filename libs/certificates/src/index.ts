export * from './certificate';
export * from './cited-checkpoint';
export * from './keys';
export * from './sign';
export * from './log-chain';
