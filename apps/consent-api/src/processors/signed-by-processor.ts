import { applyDecorators, UseGuards } from '@nestjs/common';
import { AuthenticatedBySignature } from '../auth/api-key.guard';
import { ProcessorSignatureGuard } from './processor-signature.guard';

/** No API key: the route is called by a processor and authenticated by its HMAC signature. */
export const SignedByProcessor = () => applyDecorators(AuthenticatedBySignature(), UseGuards(ProcessorSignatureGuard));
