import { connectorConfigOf, SystemEntry } from '../systems-file';
import { HttpConfigError, HttpConnectorConfig, validateHttpConfig } from './http-config';

/**
 * The checked configuration of a `type: http` entry of the systems file (its `name` as `system`,
 * its own keys as the rest). Issues are prefixed with the entry's place in the file
 * (`systems[2].secret: …`), so an operator finds the line. consent-api uses it to verify the
 * callbacks of the processors the file declares.
 */
export function httpConfigFromEntry(entry: SystemEntry): HttpConnectorConfig {
  if (entry.type !== 'http') throw new HttpConfigError([`${entry.path}.type: must be http for the http connector`]);
  try {
    return validateHttpConfig(connectorConfigOf(entry));
  } catch (error) {
    if (!(error instanceof HttpConfigError)) throw error;
    throw new HttpConfigError(error.issues.map((issue) => `${entry.path}.${issue}`));
  }
}
