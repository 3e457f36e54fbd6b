export { ConsentGuard } from './consent-guard';
export type { ConsentDecision, DecisionReason } from './decision';
export { guardedEachMessage } from './guarded-each-message';
export type { GuardedEachMessageOptions } from './guarded-each-message';
export type { NoticeListener } from './listeners';
export { DEFAULTS as CONSENT_GUARD_DEFAULTS } from './options';
export type { ConsentGuardOptions } from './options';
