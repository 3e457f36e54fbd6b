import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { KeyObject } from 'node:crypto';
import { DataSource } from 'typeorm';
import { buildCertificate, CitedCheckpoint, keyIdOf, LoggedEvent, privateKeyFromSeed, publicKeyPem, signCertificate } from '@lethe/certificates';
import type { ErasureRequestState } from '@lethe/consent-domain';
import { RequireAction } from '../auth/api-key.guard';
import type { ApiConfig } from '../config';
import { API_CONFIG, DATABASE } from '../platform/tokens';
import { erasureRequestRow } from '../reads/erasure-request-row';
import { CodeParamPipe, SubjectIdPipe } from '../writes/subject-id.pipe';

/**
 * Erasure certificates: what every system did for a completed request, where the events that
 * prove it sit on consent.log, signed with Lethe's Ed25519 key so they can be checked offline
 * (docs/certificates.md), and the signed checkpoint of consent.log that covers those events (written
 * by the checkpointer, docs/adr/0017). Issued on demand from the projection; nothing is stored.
 */
@ApiTags('certificates')
@ApiBearerAuth()
@Controller('v1')
export class CertificateController {
  private readonly signingKey: KeyObject;
  private readonly auditTopic: string;

  constructor(
    @Inject(DATABASE) private readonly db: DataSource,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.signingKey = privateKeyFromSeed(config.signingKey);
    this.auditTopic = config.topics.names.consentAudit;
  }

  @Get('erasure-requests/:requestId/certificate')
  @RequireAction('read')
  @ApiOperation({ summary: 'A signed certificate of a completed erasure request (409 request_not_complete while it is open, checkpoint_pending until a signed checkpoint of consent.log covers its events)' })
  certificate(@Param('requestId', new CodeParamPipe('requestId')) requestId: string) {
    return this.certify(requestId);
  }

  @Get('subjects/:subjectId/erasure-requests/:requestId/certificate')
  @RequireAction('read')
  @ApiOperation({ summary: "A signed certificate of one subject's completed erasure request" })
  subjectCertificate(@Param('subjectId', SubjectIdPipe) subjectId: string, @Param('requestId', new CodeParamPipe('requestId')) requestId: string) {
    return this.certify(requestId, subjectId);
  }

  private async certify(requestId: string, subjectId?: string) {
    const { subject_id } = await erasureRequestRow(this.db, requestId, subjectId);
    // The fold's own view of the request carries the event ids of each fact it applied.
    const [row] = await this.db.query(`select state->'erasureRequests'->$2::text as request from subject_state where subject_id = $1`, [subject_id, requestId]);
    if (!row?.request) throw new NotFoundException('no erasure request has this id');
    const rows = await this.db.query(`select event_id, type, topic, partition, "offset" from erasure_events where subject_id = $1 and request_id = $2`, [subject_id, requestId]);
    const events: LoggedEvent[] = rows.map((e: { event_id: string; type: string; topic: string; partition: number; offset: string }) => ({
      eventId: e.event_id,
      type: e.type,
      topic: e.topic,
      partition: e.partition,
      offset: String(e.offset),
    }));
    const checkpoint = await this.checkpointAfter(events);
    const certificate = buildCertificate({ subjectId: subject_id, request: row.request as ErasureRequestState, events, checkpoint, issuedAt: Date.now() });
    return signCertificate(certificate, this.signingKey);
  }

  /** The first checkpoint past the request's last event (one subject's events share a partition); buildCertificate checks it covers them all. */
  private async checkpointAfter(events: LoggedEvent[]): Promise<CitedCheckpoint | undefined> {
    const last = events.reduce<LoggedEvent | undefined>((max, e) => (max === undefined || BigInt(e.offset) > BigInt(max.offset) ? e : max), undefined);
    if (!last) return undefined;
    const [found] = await this.db.query(`select note, audit_offset::text from log_checkpoints where topic = $1 and partition = $2 and size > $3 order by size limit 1`, [
      last.topic,
      last.partition,
      last.offset,
    ]);
    return found && { auditTopic: this.auditTopic, auditOffset: found.audit_offset, note: found.note };
  }

  @Get('certificates/public-key')
  @RequireAction('read')
  @ApiOperation({ summary: 'The public key that signs certificates, to fetch once and pin' })
  publicKey() {
    return { algorithm: 'Ed25519', keyId: keyIdOf(this.signingKey), publicKey: publicKeyPem(this.signingKey) };
  }
}
