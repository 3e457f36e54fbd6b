import { createServer, Server } from 'node:http';
import { Counter, register } from 'prom-client';

/**
 * Metrics of the consumers (projector, erasure worker), on prom-client's default registry.
 * Labels are consumer groups, never record contents.
 */
export const registryUnavailableTotal = new Counter({
  name: 'lethe_registry_unavailable_total',
  help: 'Decode attempts that found the schema registry unavailable and were retried (such records are never dead-lettered)',
  labelNames: ['group'],
});

/** Serves GET /metrics in the Prometheus text format (503 when a metric cannot be collected); the caller closes the server on stop. */
export async function serveMetrics(port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') return void res.writeHead(404).end();
    void register.metrics().then(
      (text) => res.writeHead(200, { 'content-type': register.contentType }).end(text),
      () => res.writeHead(503).end(),
    );
  });
  await new Promise<void>((listening, failed) => server.once('error', failed).listen(port, host, listening));
  return server;
}
