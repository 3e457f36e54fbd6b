export * from './codec';
export * from './decode-errors';
export * from './generated/consent-event';
export * from './generated/consent-state';
export * from './ids';
export * from './names';
export * from './schemas';
