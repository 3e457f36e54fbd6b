import { Client, ClientConfig } from 'pg';

/**
 * node-postgres' Client, always listening for 'error'. A pool hands a new connection to its caller
 * from inside the socket handler that read the server's ReadyForQuery; when the same read also
 * carries the server's FATAL (connections terminated, the server shutting down), the Client emits
 * 'error' before the caller's promise continuation could add a listener, and an unlistened
 * 'error' ends the process. Nothing is hidden by listening: the Client is no longer queryable,
 * its next query fails, and the pool discards it on release.
 */
export class GuardedPgClient extends Client {
  constructor(config?: string | ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}
