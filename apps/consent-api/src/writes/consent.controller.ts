import { BadRequestException, Body, Controller, Headers, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { ConsentCommand } from '@lethe/consent-domain';
import type { Source } from '@lethe/contracts';
import { Action } from '../auth/api-keys';
import { AuthenticatedRequest, RequireAction } from '../auth/api-key.guard';
import { StoredResponse } from '../idempotency/idempotency-store';
import type { ApiConfig } from '../config';
import { API_CONFIG } from '../platform/tokens';
import { ConsentWriter, WriteRequest } from './consent-writer';
import { ErasureDto, GrantDto, IdentityDto, ObjectionDto, OptOutDto, WithdrawDto, WriteEnvelopeDto } from './dto';
import { SubjectIdPipe } from './subject-id.pipe';

const IDEMPOTENCY_HEADER = 'idempotency-key';

function checkedKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new BadRequestException({
      error: 'validation',
      field: 'Idempotency-Key',
      message: 'Idempotency-Key must be 1-255 visible ASCII characters',
    });
  }
  return key;
}

@ApiTags('writes')
@ApiBearerAuth()
@ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key returns the first response and writes nothing.' })
@ApiResponse({ status: 202, description: 'On consent.log: every in-sync replica acknowledged it.' })
@ApiResponse({ status: 400, description: 'Invalid input; the message names the field.' })
@ApiResponse({ status: 401, description: 'Missing or unknown API key.' })
@ApiResponse({ status: 403, description: 'The key may not write this action or purpose.' })
@ApiResponse({ status: 409, description: 'Refused by the consent rules (reason says which).' })
@ApiResponse({ status: 503, description: 'The event log is unavailable; retry with the same Idempotency-Key.' })
@Controller('v1/subjects/:subjectId')
export class ConsentController {
  constructor(
    private readonly writer: ConsentWriter,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post('consents/grant')
  @HttpCode(202)
  @RequireAction('consent:write')
  @ApiOperation({ summary: 'Record consent to purposes under a policy version' })
  grant(@Param('subjectId', SubjectIdPipe) subjectId: string, @Body() body: GrantDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply, @Headers(IDEMPOTENCY_HEADER) key?: string) {
    const command: ConsentCommand = { type: 'GrantConsent', purposes: body.purposes, policyVersion: body.policyVersion };
    return this.run('consent:write', 'grant', subjectId, command, body, req, reply, key);
  }

  @Post('consents/withdraw')
  @HttpCode(202)
  @RequireAction('consent:write')
  @ApiOperation({ summary: 'Withdraw consent to purposes' })
  withdraw(@Param('subjectId', SubjectIdPipe) subjectId: string, @Body() body: WithdrawDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply, @Headers(IDEMPOTENCY_HEADER) key?: string) {
    return this.run('consent:write', 'withdraw', subjectId, { type: 'WithdrawConsent', purposes: body.purposes }, body, req, reply, key, body.identities);
  }

  @Post('objections')
  @HttpCode(202)
  @RequireAction('objection:write')
  @ApiOperation({ summary: 'Record an objection to processing (no purposes: to all processing)' })
  object(@Param('subjectId', SubjectIdPipe) subjectId: string, @Body() body: ObjectionDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply, @Headers(IDEMPOTENCY_HEADER) key?: string) {
    const command: ConsentCommand = { type: 'RaiseObjection', purposes: body.purposes ?? [], reason: body.reason ?? null };
    return this.run('objection:write', 'objection', subjectId, command, body, req, reply, key, body.identities);
  }

  @Post('opt-outs')
  @HttpCode(202)
  @RequireAction('optout:write')
  @ApiOperation({ summary: 'Record an opt-out of sale, sharing, targeted advertising or profiling' })
  optOut(@Param('subjectId', SubjectIdPipe) subjectId: string, @Body() body: OptOutDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply, @Headers(IDEMPOTENCY_HEADER) key?: string) {
    return this.run('optout:write', 'opt-out', subjectId, { type: 'RecordOptOut', kinds: body.kinds }, body, req, reply, key, body.identities);
  }

  @Post('erasure-requests')
  @HttpCode(202)
  @RequireAction('erasure:write')
  @ApiOperation({ summary: 'Request erasure of the subject in every downstream system' })
  erase(@Param('subjectId', SubjectIdPipe) subjectId: string, @Body() body: ErasureDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply, @Headers(IDEMPOTENCY_HEADER) key?: string) {
    const systems = this.systemsFor(body.systems);
    // Without a requestId, the request is named after its event id, which an Idempotency-Key (or an
    // eventId) fixes: a retry after a 503 names the same request, never a second one.
    const command = (eventId: string): ConsentCommand => ({
      type: 'RequestErasure',
      requestId: body.requestId ?? `er-${eventId}`,
      scope: body.scope,
      purposes: body.purposes ?? [],
      keepTransactionHistory: body.keepTransactionHistory ?? false,
      systems,
      // Naming no systems asks for every one, including any declared later (docs/adr/0013).
      allSystems: body.systems === undefined,
    });
    return this.run('erasure:write', 'erasure', subjectId, command, body, req, reply, key, body.identities);
  }

  /**
   * The systems that must acknowledge: those named, or every declared one. With a systems file,
   * a name it does not declare would never be acknowledged, so it is refused. None at all is
   * refused too: nothing would acknowledge the request, so it would be certified at once.
   */
  private systemsFor(named: string[] | undefined): string[] {
    const declared = this.config.systems?.systems.map((system) => system.name);
    const systems = named ?? declared ?? [];
    if (systems.length === 0) {
      const message = named
        ? 'systems must name at least one downstream system'
        : 'systems must name the downstream systems to erase from: this API declares none (LETHE_SYSTEMS_FILE)';
      throw new BadRequestException({ error: 'validation', reason: 'no_systems', field: 'systems', message });
    }
    const unknown = declared ? systems.findIndex((name) => !declared.includes(name)) : -1;
    if (unknown !== -1) {
      throw new BadRequestException({ error: 'validation', field: `systems[${unknown}]`, message: `systems[${unknown}] is not a declared downstream system` });
    }
    return systems;
  }

  /** Shared by every write: the writer does the work, the reply gets its status. */
  async run(
    action: Action,
    route: string,
    subjectId: string,
    command: WriteRequest['command'],
    body: WriteEnvelopeDto,
    req: AuthenticatedRequest,
    reply: FastifyReply,
    idempotencyKey?: string,
    identities?: IdentityDto[],
    source: Source = body.source ?? 'API',
  ): Promise<unknown> {
    const response: StoredResponse = await this.writer.write({
      principal: req.principal,
      action,
      route,
      subjectId,
      command,
      body,
      source,
      jurisdiction: body.jurisdiction ?? 'UNSPECIFIED',
      occurredAt: body.occurredAt,
      correlationId: body.correlationId,
      idempotencyKey: checkedKey(idempotencyKey),
      eventId: body.eventId,
      identities,
    });
    reply.status(response.statusCode);
    return response.body;
  }
}
