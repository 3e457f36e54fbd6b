export * from './nest/core'; // TEMPORARY: until the core's own exports are here
export * from './nest';
