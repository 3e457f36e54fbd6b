import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import type { SubjectState } from '@lethe/consent-domain';
import { RequireAction } from '../auth/api-key.guard';
import type { ApiConfig } from '../config';
import { overdueReasons, progressOf } from '../operations/erasure-overdue';
import { API_CONFIG, DATABASE } from '../platform/tokens';
import { CodeParamPipe, SubjectIdPipe } from '../writes/subject-id.pipe';
import { erasureRequestRow } from './erasure-request-row';

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());
const isoColumn = (value: Date | null) => (value ? value.toISOString() : null);

/** Reads come from the projection in PostgreSQL, which follows consent.log within moments. */
@ApiTags('reads')
@ApiBearerAuth()
@Controller('v1')
export class ReadsController {
  constructor(
    @Inject(DATABASE) private readonly db: DataSource,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get('subjects/:subjectId/consent')
  @RequireAction('read')
  @ApiOperation({ summary: 'The current consent, opt-outs, objections and erasure requests of a subject' })
  async consent(@Param('subjectId', SubjectIdPipe) subjectId: string) {
    const [row] = await this.db.query(`select state, updated_at from subject_state where subject_id = $1`, [subjectId]);
    if (!row) throw new NotFoundException('nothing is recorded for this subject yet');
    const state = row.state as SubjectState;
    return {
      subjectId,
      version: state.version,
      updatedAt: isoColumn(row.updated_at),
      purposes: mapValues(state.purposes, (p) => ({ status: p.status, policyVersion: p.policyVersion, at: iso(p.at) })),
      optOuts: mapValues(state.optOuts, (o) => ({ at: iso(o?.at), source: o?.source, dueAt: iso(o?.dueAt) })),
      objections: mapValues(state.objections, (o) => ({ at: iso(o.at), reason: o.reason })),
      erasureRequests: Object.values(state.erasureRequests).map((r) => ({
        requestId: r.requestId,
        status: r.status,
        dueAt: iso(r.dueAt),
      })),
      // When the subject's data key was destroyed, and why (a completed erasure, with its request, or
      // the identity retention ended, docs/adr/0022); while it is held, null and when it will end.
      keyShredded: state.keyShredded
        ? { at: iso(state.keyShredded.at), cause: state.keyShredded.cause ?? 'erasure_completed', requestId: state.keyShredded.requestId }
        : null,
      identityRetentionEndsAt: state.identityRetention ? iso(state.identityRetention.until) : null,
    };
  }

  @Get('erasure-requests/:requestId')
  @RequireAction('read')
  @ApiOperation({ summary: 'An erasure request with the status of every downstream system (409 request_id_ambiguous if the log holds the id for two subjects)' })
  erasureRequest(@Param('requestId', new CodeParamPipe('requestId')) requestId: string) {
    return this.erasureRequestView(requestId);
  }

  @Get('subjects/:subjectId/erasure-requests/:requestId')
  @RequireAction('read')
  @ApiOperation({ summary: "One subject's erasure request with the status of every downstream system" })
  subjectErasureRequest(@Param('subjectId', SubjectIdPipe) subjectId: string, @Param('requestId', new CodeParamPipe('requestId')) requestId: string) {
    return this.erasureRequestView(requestId, subjectId);
  }

  private async erasureRequestView(requestId: string, subjectId?: string) {
    const request = await erasureRequestRow<Record<string, never>>(this.db, requestId, subjectId);
    const steps = await this.db.query(`select * from erasure_steps where subject_id = $1 and request_id = $2 order by system`, [request.subject_id, requestId]);
    return {
      requestId,
      subjectId: request.subject_id,
      status: request.status,
      scope: request.scope,
      jurisdiction: request.jurisdiction,
      keepTransactionHistory: request.keep_transaction_history,
      requestedAt: isoColumn(request.requested_at),
      dueAt: isoColumn(request.due_at),
      extendableTo: isoColumn(request.extendable_to),
      completedAt: isoColumn(request.completed_at),
      extension: request.extension_reason === null ? null : { reason: request.extension_reason, at: isoColumn(request.extended_at) },
      overdue: overdueReasons({ status: request.status, requestedAt: request.requested_at, dueAt: request.due_at }, Date.now(), this.config.erasureSlaHours),
      progress: progressOf(steps.map((step: { status: string }) => step.status)),
      systems: steps.map((step: Record<string, never>) => ({
        system: step.system,
        status: step.status,
        action: step.action,
        counts: step.counts,
        strategies: step.strategies,
        evidenceHash: step.evidence_hash,
        legalHold: step.legal_hold,
        retryable: step.retryable,
        attempt: step.attempt,
        reason: step.reason,
        at: isoColumn(step.acted_at),
      })),
    };
  }
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
