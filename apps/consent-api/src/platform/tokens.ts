/** Injection tokens for the things main.ts builds from the validated configuration. */
export const API_CONFIG = Symbol('ApiConfig');
export const DATABASE = Symbol('DataSource');
export const KEY_STORE = Symbol('KeyStore');
