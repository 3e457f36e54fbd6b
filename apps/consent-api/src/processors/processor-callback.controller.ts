import { Body, Controller, HttpCode, Inject, NotFoundException, Param, Post, Req } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { SIGNATURE_HEADERS } from '@lethe/connectors';
import { SignedByProcessor } from './signed-by-processor';
import { parseCallback } from './callback-body';
import { callbackEvent, ProjectedRequest } from './callback-events';
import type { SignedRequest } from './processor-signature.guard';
import { EventLog } from '../platform/event-log';
import { DATABASE } from '../platform/tokens';

/**
 * Where a third-party processor reports an erasure request it accepted earlier (202 to the
 * http connector). A final status becomes a fact on consent.log; pending and in_progress are
 * acknowledged and change nothing. 202 once the broker has the fact (acks=all), 503 otherwise:
 * the processor retries, and the fixed event id makes the retry the same fact.
 */
@ApiTags('processors')
@Controller('v1/processors')
export class ProcessorCallbackController {
  constructor(
    @Inject(DATABASE) private readonly db: DataSource,
    private readonly log: EventLog,
  ) {}

  @Post(':system/callbacks')
  @HttpCode(202)
  @SignedByProcessor()
  @ApiOperation({ summary: "A third-party processor's signed status callback for an erasure request (OpenDSR)" })
  @ApiHeader({ name: SIGNATURE_HEADERS.timestamp, required: true, description: 'Unix seconds when the processor signed the body' })
  @ApiHeader({ name: SIGNATURE_HEADERS.signature, required: true, description: 'v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret>' })
  async callback(@Param('system') system: string, @Body() body: unknown, @Req() request: SignedRequest) {
    const callback = parseCallback(body);
    const base = { requestId: callback.requestId, system: request.processor.system, requestStatus: callback.status };
    const projected = await this.find(callback.requestId, system);
    if (callback.status === 'pending' || callback.status === 'in_progress') return { status: 'noted', ...base, eventId: null, type: null };

    const now = Date.now();
    const event = callbackEvent(projected, system, callback, now);
    if (!(await this.alreadyRecorded(event.event_id, callback.requestId, system))) await this.log.append([event]);
    return { status: 'accepted', ...base, eventId: event.event_id, type: event.payload.type, recordedAt: new Date(now).toISOString() };
  }

  /** The request, which must name this system among those that acknowledge it. */
  private async find(requestId: string, system: string): Promise<ProjectedRequest> {
    const [row] = await this.db.query(
      `select r.subject_id, r.jurisdiction, s.system as step
         from erasure_requests r left join erasure_steps s on s.request_id = r.request_id and s.system = $2
        where r.request_id = $1`,
      [requestId, system],
    );
    if (!row) throw new NotFoundException('no erasure request has this subject_request_id');
    if (!row.step) throw new NotFoundException('this erasure request does not involve this processor');
    return { requestId, subjectId: row.subject_id, jurisdiction: row.jurisdiction };
  }

  /** True once the projection holds this very fact; appending it again would only be a duplicate. */
  private async alreadyRecorded(eventId: string, requestId: string, system: string): Promise<boolean> {
    const [row] = await this.db.query(`select 1 from erasure_steps where request_id = $1 and system = $2 and event_id = $3`, [requestId, system, eventId]);
    return Boolean(row);
  }
}
