/**
 * The ceiling for the API benchmark: bare Fastify routes on the same paths (a withdrawal, an
 * erasure request), parsing the same bodies and answering the same 202 payloads the consent API
 * answers, with no Lethe code.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 3999);
const app = Fastify({ logger: false });
app.post<{ Params: { subjectId: string } }>('/v1/subjects/:subjectId/consents/withdraw', async (request, reply) => {
  reply.code(202);
  return { status: 'accepted', eventId: randomUUID(), subjectId: request.params.subjectId, type: 'ConsentWithdrawn', recordedAt: new Date().toISOString() };
});
app.post<{ Params: { subjectId: string }; Body: { requestId: string } }>('/v1/subjects/:subjectId/erasure-requests', async (request, reply) => {
  reply.code(202);
  return { status: 'accepted', eventId: randomUUID(), subjectId: request.params.subjectId, type: 'ErasureRequested', requestId: request.body.requestId, recordedAt: new Date().toISOString() };
});
app.get('/health', async () => ({ status: 'ok' }));
app.listen({ port, host: '127.0.0.1' }).catch((error: Error) => {
  console.error(`[bare-route] ${error.message}`);
  process.exit(1);
});
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
