import { ConfigError } from '@lethe/config';
import {
  CacheConnector,
  Connector,
  ConnectorError,
  connectorConfigOf,
  ConnectorType,
  HttpConnector,
  KafkaConnector,
  ReactionAction,
  SqlConnector,
  SystemEntry,
} from '@lethe/connectors';

/**
 * The opt-out actions each kind of system can honour. A database row or a compacted record can be
 * deleted (or a row anonymized), but not "suppressed"; a cache entry is suppressed by deleting it;
 * a third party is told which action is asked of it.
 */
const ACTIONS_BY_TYPE: Record<ConnectorType, readonly ReactionAction[]> = {
  sql: ['delete', 'anonymize'],
  cache: ['delete', 'suppress'],
  kafka: ['delete'],
  http: ['delete', 'anonymize', 'suppress'],
};

/** The connector of one systems-file entry; a bad entry stops the worker, naming the key. */
export function buildConnector(entry: SystemEntry, letheBrokers: string[]): Connector {
  for (const [cause, action] of Object.entries(entry.reactions)) {
    if (!ACTIONS_BY_TYPE[entry.type].includes(action)) {
      throw new ConfigError(`${entry.path}.onOptOut.${cause}: a ${entry.type} system can ${ACTIONS_BY_TYPE[entry.type].join(' or ')}, not ${action}`);
    }
  }
  const config = connectorConfigOf(entry);
  try {
    switch (entry.type) {
      case 'sql':
        return new SqlConnector(config);
      case 'cache':
        return new CacheConnector(config);
      case 'kafka':
        return new KafkaConnector(config, letheBrokers);
      case 'http':
        return new HttpConnector(config);
    }
  } catch (error) {
    if (error instanceof ConnectorError) throw new ConfigError(`${entry.path} (${entry.name}): ${error.message}`);
    throw error;
  }
}
