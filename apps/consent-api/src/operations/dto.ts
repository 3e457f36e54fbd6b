import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { CODE, CODE_RULE, IsCode } from '../writes/text-fields';
import { LIST_STATUSES, ListStatus } from './erasure-request-list';

/** What an operation on a request may carry besides its own fields. */
export class OperationEnvelopeDto {
  @ApiPropertyOptional({ description: 'Your id for this fact; a retry with the same id writes nothing new.', format: 'uuid' })
  @IsOptional()
  @IsUUID()
  eventId?: string;
}

export class ExtensionDto extends OperationEnvelopeDto {
  @ApiProperty({
    example: 'complex_request',
    description: `Why more time is needed, as a code (${CODE_RULE}) such as complex_request or many_systems. Stored on the log for good and shown in certificates, so never free text.`,
    pattern: CODE.source,
  })
  @IsString()
  @IsCode('reason')
  reason!: string;
}

export class ListQueryDto {
  @ApiPropertyOptional({ enum: LIST_STATUSES, description: 'overdue: open and past the deadline or the SLA. Absent: every request.' })
  @IsOptional()
  @IsIn(LIST_STATUSES)
  status?: ListStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;
}
