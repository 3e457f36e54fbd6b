export { SqlConnector } from './sql-connector';
export { SqlConfigError, validateSqlConfig } from './validate-sql-config';
export { LEDGER_TABLE } from './erasure-ledger';
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
