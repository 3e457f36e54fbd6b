import { ConfigError } from '@lethe/config';
import { HttpConfigError, httpConfigFromEntry, HttpConnectorConfig, SystemsFile } from '@lethe/connectors';

/**
 * The third-party processors of the systems file (`type: http`), by system name: whose callbacks
 * this API accepts, and the secret each one signs with. Built at boot; a bad entry stops the API,
 * naming the key, just as it stops the erasure worker.
 */
export class ProcessorRegistry {
  private constructor(private readonly processors: ReadonlyMap<string, HttpConnectorConfig>) {}

  static fromSystems(systems: SystemsFile | null): ProcessorRegistry {
    const processors = new Map<string, HttpConnectorConfig>();
    for (const entry of systems?.systems ?? []) {
      if (entry.type !== 'http') continue;
      try {
        processors.set(entry.name, httpConfigFromEntry(entry));
      } catch (error) {
        if (error instanceof HttpConfigError) throw new ConfigError(`LETHE_SYSTEMS_FILE: ${error.issues.join('; ')}`);
        throw error;
      }
    }
    return new ProcessorRegistry(processors);
  }

  /** The processor's configuration; undefined for an unknown system or one of another type. */
  find(system: string): HttpConnectorConfig | undefined {
    return this.processors.get(system);
  }
}
