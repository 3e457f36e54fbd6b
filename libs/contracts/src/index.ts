export * from './codec';
export * from './generated/consent-event';
export * from './names';
export * from './schemas';
