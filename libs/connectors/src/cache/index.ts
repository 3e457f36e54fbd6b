export { CacheConnector, SCAN_COUNT } from './cache-connector';
export { CacheConfigError, validateCacheConfig } from './cache-config';
export type { CacheConnectorConfig } from './cache-config';
export { LEDGER_TTL_SECONDS, ledgerKey } from './cache-ledger';
export { escapeGlob, fillTemplate, parseTemplate, TemplateError } from './key-template';
export type { Placeholder, TemplatePart } from './key-template';
