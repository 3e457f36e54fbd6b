export * from './nest';
