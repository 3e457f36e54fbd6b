import { ConfigError } from '@lethe/config';
import {
  CacheConnector,
  Connector,
  ConnectorError,
  connectorConfigOf,
  HttpConnector,
  KafkaConnector,
  SqlConnector,
  SystemEntry,
} from '@lethe/connectors';

/** The connector of one systems-file entry; a bad entry stops the worker, naming the key. */
export function buildConnector(entry: SystemEntry, letheBrokers: string[]): Connector {
  const config = connectorConfigOf(entry);
  try {
    switch (entry.type) {
      case 'sql': {
        const connector = new SqlConnector(config);
        const anonymizing = Object.keys(entry.reactions).find((cause) => entry.reactions[cause] === 'anonymize');
        if (anonymizing) {
          try {
            connector.assertCanAnonymize();
          } catch (error) {
            throw new ConfigError(`${entry.path}.onOptOut.${anonymizing}: anonymize needs every table to say how: ${(error as Error).message}`);
          }
        }
        return connector;
      }
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
