import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { ConsentCommand } from '@lethe/consent-domain';
import { AuthenticatedRequest, RequireAction } from '../auth/api-key.guard';
import type { ApiConfig } from '../config';
import { API_CONFIG, DATABASE } from '../platform/tokens';
import { erasureRequestRow } from '../reads/erasure-request-row';
import { ConsentController } from '../writes/consent.controller';
import { ExtensionDto, ListQueryDto, OperationEnvelopeDto } from './dto';
import { listErasureRequests } from './erasure-request-list';
import { decodeCursor } from './list-cursor';
import { CodeParamPipe } from '../writes/subject-id.pipe';

interface KnownRequest {
  subject_id: string;
  extendable_to: Date | null;
}

/**
 * What operators do with erasure requests: list the open and overdue ones, take the extension
 * the law allows, and send one failed system back to work. Operations are commands on the
 * request's subject, written like every other write (decided against the projection, acks=all,
 * Idempotency-Key); the erasure worker reacts to them on consent.log.
 */
@ApiTags('erasure operations')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'Missing or unknown API key.' })
@ApiResponse({ status: 403, description: 'The key may not do this action.' })
@Controller('v1/erasure-requests')
export class ErasureOperationsController {
  constructor(
    private readonly writes: ConsentController,
    @Inject(DATABASE) private readonly db: DataSource,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @RequireAction('read')
  @ApiOperation({ summary: 'Erasure requests, earliest due first, with overdue reasons and per-system progress; paged by cursor' })
  @ApiResponse({ status: 200, description: '{ items: [...], nextCursor: string | null }' })
  @ApiResponse({ status: 400, description: 'Unknown status, limit outside 1-1000, or a cursor this API did not return.' })
  list(@Query() query: ListQueryDto) {
    return listErasureRequests(this.db, {
      status: query.status,
      limit: query.limit ?? 100,
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      now: Date.now(),
      slaHours: this.config.erasureSlaHours,
    });
  }

  @Post(':requestId/deadline-extension')
  @HttpCode(202)
  @RequireAction('erasure:write')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first response and writes nothing.' })
  @ApiOperation({ summary: 'Extend the deadline once, to the latest the jurisdiction allows, saying why' })
  @ApiResponse({ status: 202, description: 'On consent.log; dueAt is the new deadline.' })
  @ApiResponse({ status: 400, description: 'reason missing or not a code (1-128 letters, digits, dots, colons, dashes or underscores).' })
  @ApiResponse({ status: 404, description: 'No erasure request has this id (reason request_not_found).' })
  @ApiResponse({ status: 409, description: 'already_extended, extension_not_allowed (e.g. LGPD) or request_completed.' })
  @ApiResponse({ status: 503, description: 'The event log is unavailable; retry with the same Idempotency-Key.' })
  async extend(
    @Param('requestId', new CodeParamPipe('requestId')) requestId: string,
    @Body() body: ExtensionDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('idempotency-key') key?: string,
  ) {
    const request = await this.known(requestId);
    const command: ConsentCommand = { type: 'ExtendErasureDeadline', requestId, reason: body.reason };
    const response = await this.writes.run('erasure:write', `erasure-extension:${requestId}`, request.subject_id, command, body, req, reply, key);
    // The extension always moves the deadline to extendableTo, fixed when the request was made.
    return reply.statusCode === 202 ? { ...(response as object), dueAt: request.extendable_to?.toISOString() ?? null } : response;
  }

  @Post(':requestId/systems/:system/retry')
  @HttpCode(202)
  @RequireAction('erasure:write')
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first response and writes nothing.' })
  @ApiOperation({ summary: "Run one failed system's step again; the other systems are left as they are" })
  @ApiResponse({ status: 202, description: 'ErasureStepRetryRequested is on consent.log; the step is pending again once projected.' })
  @ApiResponse({ status: 404, description: 'request_not_found, or system_not_in_request.' })
  @ApiResponse({ status: 409, description: 'Only a failed step can be retried: step_pending or step_completed.' })
  @ApiResponse({ status: 503, description: 'The event log is unavailable; retry with the same Idempotency-Key.' })
  async retry(
    @Param('requestId', new CodeParamPipe('requestId')) requestId: string,
    @Param('system', new CodeParamPipe('system')) system: string,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: OperationEnvelopeDto = {},
    @Headers('idempotency-key') key?: string,
  ) {
    const request = await this.known(requestId);
    const command: ConsentCommand = { type: 'RetryErasureStep', requestId, system };
    return this.writes.run('erasure:write', `erasure-retry:${requestId}:${system}`, request.subject_id, command, body, req, reply, key);
  }

  /** Commands are decided on the subject's state, so the request's subject is looked up first. */
  private known(requestId: string): Promise<KnownRequest> {
    return erasureRequestRow<KnownRequest>(this.db, requestId);
  }
}
