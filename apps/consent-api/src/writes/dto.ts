import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { ERASURE_SCOPE_SYMBOLS, JURISDICTION_SYMBOLS, OPT_OUT_KIND_SYMBOLS } from '@lethe/contracts';
import { PURPOSE_NAME } from '@lethe/consent-domain';
import { IDENTITY_TYPES } from '@lethe/identity-vault';
import { CODE, CODE_RULE, HasNoControlCharacters, IsCode } from './text-fields';

/** Sources a client may claim; GPC is set only by the GPC endpoint, SYSTEM only by Lethe. */
export const CLIENT_SOURCES = ['API', 'WEB', 'MOBILE', 'SDK', 'IMPORT'] as const;
const SLUG = /^[a-z][a-z0-9_.-]{0,63}$/;

export class IdentityDto {
  @ApiProperty({ enum: IDENTITY_TYPES })
  @IsIn(IDENTITY_TYPES)
  type!: (typeof IDENTITY_TYPES)[number];

  @ApiProperty({ description: 'Encrypted with the subject key before it reaches the log.' })
  @IsString()
  @MaxLength(320)
  @HasNoControlCharacters()
  value!: string;
}

/**
 * Identifiers a downstream system needs to find the subject (a third-party processor, say, knows
 * people by e-mail, not by Lethe's subject id). Encrypted under the subject's key on the log.
 */
function IdentitiesField(description: string) {
  return applyDecorators(
    ApiPropertyOptional({ type: [IdentityDto], description }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(20),
    ValidateNested({ each: true }),
    Type(() => IdentityDto),
  );
}
const REACTION_IDENTITIES = 'Identifiers the systems that act on this (see onOptOut in the systems file) need to find the subject.';

/** Fields every write may carry. */
export class WriteEnvelopeDto {
  @ApiPropertyOptional({ description: 'Your id for this fact; a retry with the same id writes nothing new.', format: 'uuid' })
  @IsOptional()
  @IsUUID()
  eventId?: string;

  @ApiPropertyOptional({ description: 'When it happened (ISO 8601); defaults to when Lethe received it.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  occurredAt?: string;

  @ApiPropertyOptional({ enum: CLIENT_SOURCES, default: 'API' })
  @IsOptional()
  @IsIn(CLIENT_SOURCES)
  source?: (typeof CLIENT_SOURCES)[number];

  @ApiPropertyOptional({ enum: JURISDICTION_SYMBOLS, default: 'UNSPECIFIED' })
  @IsOptional()
  @IsIn(JURISDICTION_SYMBOLS)
  jurisdiction?: (typeof JURISDICTION_SYMBOLS)[number];

  @ApiPropertyOptional({
    description: `A code that ties related events together across services (${CODE_RULE}). Stays on the log for good, so never free text.`,
    pattern: CODE.source,
    example: 'checkout:8f3a2c',
  })
  @IsOptional()
  @IsString()
  @IsCode('correlationId')
  correlationId?: string;
}

export class PurposesDto extends WriteEnvelopeDto {
  @ApiProperty({ type: [String], example: ['marketing'], description: 'Lower-case purpose names.' })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(PURPOSE_NAME, { each: true, message: 'each value in purposes must be a lower-case purpose name' })
  purposes!: string[];
}

export class GrantDto extends PurposesDto {
  @ApiProperty({ example: '2026-01', description: 'The consent policy version the subject was shown.' })
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'policyVersion must be 1-64 letters, digits, dots, dashes or underscores' })
  policyVersion!: string;
}

export class WithdrawDto extends PurposesDto {
  @IdentitiesField(REACTION_IDENTITIES)
  identities?: IdentityDto[];
}

export class ObjectionDto extends WriteEnvelopeDto {
  @ApiPropertyOptional({ type: [String], description: 'Purposes objected to; none means all processing.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(PURPOSE_NAME, { each: true, message: 'each value in purposes must be a lower-case purpose name' })
  purposes?: string[];

  @ApiPropertyOptional({ example: 'direct_marketing', description: 'A reason code, never free text.' })
  @IsOptional()
  @Matches(SLUG, { message: 'reason must be a lower-case code such as direct_marketing' })
  reason?: string;

  @IdentitiesField(REACTION_IDENTITIES)
  identities?: IdentityDto[];
}

export class OptOutDto extends WriteEnvelopeDto {
  @ApiProperty({ enum: OPT_OUT_KIND_SYMBOLS, isArray: true, example: ['SALE', 'SHARING'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(OPT_OUT_KIND_SYMBOLS, { each: true })
  kinds!: (typeof OPT_OUT_KIND_SYMBOLS)[number][];

  @IdentitiesField(REACTION_IDENTITIES)
  identities?: IdentityDto[];
}

export class ErasureDto extends WriteEnvelopeDto {
  @ApiPropertyOptional({ description: `Your id for the request (${CODE_RULE}); defaults to a new one.`, pattern: CODE.source, example: 'dsr-2026-0042' })
  @IsOptional()
  @IsString()
  @IsCode('requestId')
  requestId?: string;

  @ApiProperty({ enum: ERASURE_SCOPE_SYMBOLS })
  @IsIn(ERASURE_SCOPE_SYMBOLS)
  scope!: (typeof ERASURE_SCOPE_SYMBOLS)[number];

  @ApiPropertyOptional({ type: [String], description: 'Required when scope is PURPOSES.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(PURPOSE_NAME, { each: true, message: 'each value in purposes must be a lower-case purpose name' })
  purposes?: string[];

  @ApiPropertyOptional({ description: 'Keep transactions, without identifiers, where the law requires it.' })
  @IsOptional()
  @IsBoolean()
  keepTransactionHistory?: boolean;

  @ApiPropertyOptional({
    type: [String],
    minItems: 1,
    description: 'Downstream systems that must acknowledge; defaults to every system the systems file declares. None at all is refused (reason no_systems).',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @Matches(SLUG, { each: true, message: 'each value in systems must be a lower-case system name' })
  systems?: string[];

  @IdentitiesField('Identifiers downstream systems need to find the rows.')
  identities?: IdentityDto[];
}
