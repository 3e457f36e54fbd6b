// The guard core the NestJS adapter sits on, imported from one place.
export { ConsentGuard, guardedEachMessage } from './core-stand-in';
export type { ConsentDecision, ConsentGuardOptions } from './core-stand-in';
