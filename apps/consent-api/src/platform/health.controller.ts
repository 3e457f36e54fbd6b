import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Admin } from 'kafkajs';
import { DataSource } from 'typeorm';
import { Metrics } from './metrics';
import { DATABASE } from './tokens';

export const KAFKA_ADMIN = Symbol('Admin');

@ApiTags('operations')
@Controller()
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly db: DataSource,
    @Inject(KAFKA_ADMIN) private readonly admin: Admin,
    private readonly metrics: Metrics,
  ) {}

  /** Ready when PostgreSQL and the broker both answer; 503 naming the one that does not. */
  @Get('health')
  @ApiOperation({ summary: 'Liveness and readiness: PostgreSQL and Kafka' })
  async health(@Res({ passthrough: true }) reply: FastifyReply) {
    const [database, eventLog] = await Promise.all([
      check(() => this.db.query('select 1')),
      check(() => this.admin.describeCluster()),
    ]);
    const ready = database === 'up' && eventLog === 'up';
    reply.status(ready ? 200 : 503);
    return { status: ready ? 'ok' : 'unavailable', checks: { database, eventLog } };
  }

  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/plain; version=0.0.4')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

async function check(probe: () => Promise<unknown>): Promise<'up' | 'down'> {
  const timeout = new Promise<'down'>((resolve) => setTimeout(() => resolve('down'), 3_000).unref());
  return Promise.race([probe().then(() => 'up' as const, () => 'down' as const), timeout]);
}
