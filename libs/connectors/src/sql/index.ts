export { SqlConnector } from './sql-connector';
export { SqlConfigError, validateSqlConfig } from './validate-sql-config';
export { LEDGER_TABLE } from './erasure-ledger';
export { DEFAULT_STEPS_PER_TRANSACTION, MAX_STEPS_PER_TRANSACTION } from './sql-config';
export type {
  AnonymizeStrategy,
  FieldStrategies,
  JoinPath,
  LegalHold,
  SqlConnectorConfig,
  SqlTableConfig,
  SubjectKey,
  SubjectMatch,
} from './sql-config';
