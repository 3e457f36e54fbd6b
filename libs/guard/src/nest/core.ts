// The guard core the NestJS adapter sits on, imported from one place.
export { ConsentGuard } from '../consent-guard';
export type { ConsentDecision } from '../decision';
export type { ConsentGuardOptions } from '../options';
