import { Body, Controller, Headers, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthenticatedRequest, RequireAction } from '../auth/api-key.guard';
import { ConsentController } from './consent.controller';
import { ConsentWriter } from './consent-writer';
import { WriteEnvelopeDto } from './dto';
import { SubjectIdPipe } from './subject-id.pipe';

/**
 * Global Privacy Control: a browser's `Sec-GPC: 1` is a valid opt-out of sale and sharing
 * (CCPA regulations §7025). Services forward the header here on the subject's behalf; without
 * the signal nothing is recorded, and a signal already honoured is not recorded again.
 */
@ApiTags('writes')
@ApiBearerAuth()
@Controller('v1/subjects/:subjectId/gpc')
export class GpcController {
  constructor(
    private readonly writer: ConsentWriter,
    private readonly writes: ConsentController,
  ) {}

  @Post()
  @HttpCode(200)
  @RequireAction('gpc:write')
  @ApiHeader({ name: 'Sec-GPC', required: false, description: '"1" when the browser sends the Global Privacy Control signal' })
  @ApiOperation({ summary: 'Record an opt-out of sale and sharing when the request carries Sec-GPC: 1' })
  async signal(
    @Param('subjectId', SubjectIdPipe) subjectId: string,
    @Body() body: WriteEnvelopeDto = {},
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('sec-gpc') gpc?: string,
    @Headers('idempotency-key') idempotencyKey?: string,
  ) {
    if (gpc?.trim() !== '1') return { status: 'no_signal', subjectId };
    const state = await this.writer.projectedState(subjectId);
    if (state.optOuts.SALE && state.optOuts.SHARING) return { status: 'unchanged', reason: 'already_opted_out', subjectId };
    return this.writes.run('gpc:write', 'gpc', subjectId, { type: 'RecordOptOut', kinds: ['SALE', 'SHARING'] }, body, req, reply, idempotencyKey, undefined, 'GPC');
  }
}
