export * from './events';
export * from './kafka';
export * from './wait-for';
export * from './database';
export * from './shop';
export * from './fake-processor';
export * from './ports';
