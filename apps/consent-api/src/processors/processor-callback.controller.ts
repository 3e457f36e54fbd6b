import { Body, Controller, HttpCode, Inject, NotFoundException, Param, Post, Req } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { SIGNATURE_HEADERS } from '@lethe/connectors';
import { ConsentEvent, ConsentEventCodec, erasureWorkId, optOutWorkId } from '@lethe/contracts';
import { AwaitedStep, OutstandingSteps } from '@lethe/persistence';
import { SignedByProcessor } from './signed-by-processor';
import { parseCallback } from './callback-body';
import { CallbackSubject, callbackEvent } from './callback-events';
import type { SignedRequest } from './processor-signature.guard';
import { EVENT_CODEC, EventLog } from '../platform/event-log';
import { DATABASE } from '../platform/tokens';

/**
 * Where a third-party processor reports a request it accepted earlier (202 to the http
 * connector): an erasure request, or a withdrawal, objection or opt-out the worker sent it. A
 * final status becomes a fact on consent.log; pending and in_progress are acknowledged and change
 * nothing. 202 once the broker has the fact (acks=all), 503 otherwise: the processor retries, and
 * the fixed event id makes the retry the same fact. The step the worker left waiting is then
 * marked confirmed (never timed out) or, on a failure, parked for an operator's retry.
 */
@ApiTags('processors')
@Controller('v1/processors')
export class ProcessorCallbackController {
  constructor(
    @Inject(DATABASE) private readonly db: DataSource,
    @Inject(EVENT_CODEC) private readonly codec: ConsentEventCodec,
    private readonly log: EventLog,
  ) {}

  @Post(':system/callbacks')
  @HttpCode(202)
  @SignedByProcessor()
  @ApiOperation({ summary: "A third-party processor's signed status callback for an erasure request or opt-out (OpenDSR)" })
  @ApiHeader({ name: SIGNATURE_HEADERS.timestamp, required: true, description: 'Unix seconds when the processor signed the body' })
  @ApiHeader({ name: SIGNATURE_HEADERS.signature, required: true, description: 'v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the shared secret>' })
  async callback(@Param('system') system: string, @Body() body: unknown, @Req() request: SignedRequest) {
    const callback = parseCallback(body);
    const base = { subjectRequestId: callback.subjectRequestId, system: request.processor.system, requestStatus: callback.status };
    const steps = new OutstandingSteps(this.db, system);
    const sent = await steps.awaited(callback.subjectRequestId);
    const subject = await this.find(callback.subjectRequestId, system, sent);
    if (callback.status === 'pending' || callback.status === 'in_progress') return { status: 'noted', ...base, eventId: null, type: null };

    const now = Date.now();
    // The attempt the processor answers (1 when the worker kept no record, as after a synchronous
    // answer): a failure after an operator's retry is a new fact, not a repeat of the first.
    const event = callbackEvent(subject, system, callback, sent?.attempt ?? 1, now);
    if (!(await this.alreadyRecorded(subject, event, sent))) await this.log.append([event]);
    if (callback.status === 'completed') await steps.confirm(callback.subjectRequestId);
    else await steps.parkRefused(callback.subjectRequestId);
    return { status: 'accepted', ...base, eventId: event.event_id, type: event.payload.type, recordedAt: new Date(now).toISOString() };
  }

  /**
   * What the processor's `subject_request_id` (a work id, unique across subjects) is about: the
   * erasure request of one subject, which must name this system among those that act on it, or
   * else the opt-out the worker sent this processor under that id.
   */
  private async find(workId: string, system: string, sent: AwaitedStep | undefined): Promise<CallbackSubject> {
    const [row] = await this.db.query(
      `select r.subject_id, r.request_id, r.jurisdiction, s.system as step
         from erasure_requests r left join erasure_steps s on s.subject_id = r.subject_id and s.request_id = r.request_id and s.system = $2
        where r.work_id = $1`,
      [workId, system],
    );
    // No step yet, but this system's worker sent it the request: a system declared after the
    // request was made, catching up on it (docs/adr/0013). Its confirmation is its first fact.
    if (row && !row.step && !sent) throw new NotFoundException('this erasure request does not involve this processor');
    if (row) return { kind: 'erasure', workId, requestId: row.request_id, subjectId: row.subject_id, jurisdiction: row.jurisdiction };

    // Not projected (yet): what this system's worker sent it says what the work is about, so a
    // processor answering before the projector folded the request is not told it is unknown.
    const cause = sent && (await this.codec.decode(sent.record));
    const requestId = cause && 'request_id' in cause.payload ? cause.payload.request_id : undefined;
    if (cause && typeof requestId === 'string' && erasureWorkId(cause.subject_id, requestId) === workId) {
      return { kind: 'erasure', workId, requestId, subjectId: cause.subject_id, jurisdiction: cause.jurisdiction };
    }
    if (!cause || optOutWorkId(cause.subject_id, cause.event_id) !== workId) {
      throw new NotFoundException('no erasure request or opt-out sent to this processor has this subject_request_id');
    }
    return { kind: 'opt-out', workId, cause };
  }

  /** True once this very fact is known; appending it again would only be a duplicate. */
  private async alreadyRecorded(subject: CallbackSubject, event: ConsentEvent, sent: AwaitedStep | undefined): Promise<boolean> {
    // Opt-outs are not projected: the confirmed step is what remembers the completion.
    if (subject.kind === 'opt-out') return event.payload.type === 'OptOutStepCompleted' && Boolean(sent?.confirmedAt);
    const [row] = await this.db.query(`select 1 from erasure_steps where subject_id = $1 and request_id = $2 and event_id = $3`, [subject.subjectId, subject.requestId, event.event_id]);
    return Boolean(row);
  }
}
