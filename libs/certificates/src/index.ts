export * from './certificate';
export * from './keys';
export * from './sign';
