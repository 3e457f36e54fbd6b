export * from './certificate';
export * from './keys';
export * from './sign';
export * from './log-chain';
